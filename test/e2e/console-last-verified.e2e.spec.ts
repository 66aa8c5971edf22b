import { freePort } from '../../src/database/embedded-postgres';
import { startTestApp, TestApp } from '../support/app';
import { consoleSignIn, ConsoleSession } from '../support/console';
import { addFault, connectThroughSandbox } from '../support/sandbox-flow';

/**
 * `lastVerifiedAt`: when the provider last accepted a connection's access token in a whoami check, in
 * the API's Connection (GET /connections/{id} and the list) and on the console's connection page.
 * Against the Keap simulator, whose whoami accepts the tokens it issued.
 */
describe('lastVerifiedAt: the last whoami check the provider passed, in the API and on the console', () => {
  let t: TestApp;
  let session: ConsoleSession;

  beforeAll(async () => {
    t = await startTestApp({ port: await freePort(), env: { ADMIN_SIGN_IN_RATE_LIMIT_PER_MINUTE: '0' } });
    session = await consoleSignIn(t);
  }, 60_000);
  afterAll(() => t?.close());

  const connection = async (id: string) => (await t.api.get(`/connections/${id}`).expect(200)).body;
  const storedCheck = async (id: string): Promise<Date | null> =>
    (await t.dataSource.query('SELECT last_verified_at FROM connections WHERE id = $1', [id]))[0].last_verified_at;
  /** The console page's "Last verified" entry. */
  const shown = async (id: string) => {
    const page = await t.anon.get(`/admin/connections/${id}`).set('Cookie', session.cookie).expect(200);
    return /<dd id="last-verified">(.*?)<\/dd>/.exec(page.text)?.[1];
  };

  it('is null until a check passes, then the time of that check; a failed check after it is not a verification', async () => {
    const id = await connectThroughSandbox(t, 'keap', 'last-verified-owner', 'lastverified');
    expect(await connection(id)).toMatchObject({ lastVerifiedAt: null });
    expect(await shown(id)).toBe('<span class="muted">no passed check on record</span>');

    const verified = await t.api.post(`/connections/${id}/verify`).expect(200);
    const first = (await storedCheck(id))!.toISOString();
    expect(verified.body.lastVerifiedAt).toBe(first);
    expect(await connection(id)).toMatchObject({ lastVerifiedAt: first, lastError: null });
    const listed = await t.api.get('/connections').query({ ownerId: 'last-verified-owner' }).expect(200);
    expect(listed.body.data).toEqual([expect.objectContaining({ id, lastVerifiedAt: first })]);
    expect(await shown(id)).toMatch(
      new RegExp(
        `^<time datetime="${first}">\\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d UTC</time> <span class="muted">\\(now\\)</span>$`,
      ),
    );

    // The provider is down for one check: the check is recorded (last_verified_at moves), but it is not
    // a time the provider accepted the token.
    await addFault(t, 'keap', { endpoint: 'whoami', kind: 'status_503' });
    await t.api.post(`/connections/${id}/verify`).expect(502);
    const failed = (await storedCheck(id))!.toISOString();
    expect(failed > first).toBe(true);
    const afterFailure = await connection(id);
    expect(afterFailure.lastError).toMatchObject({ at: failed });
    expect(afterFailure.lastVerifiedAt).toBeNull();
    expect(await shown(id)).toBe('<span class="muted">no passed check on record</span>');

    // The next check passes: its time is shown.
    await t.api.post(`/connections/${id}/verify`).expect(200);
    const again = (await storedCheck(id))!.toISOString();
    expect(again > failed).toBe(true);
    expect(await connection(id)).toMatchObject({ lastVerifiedAt: again });
    expect(await shown(id)).toContain(`<time datetime="${again}">`);
  });

  it('is null for a token the provider refuses (401: needs_reauth)', async () => {
    const imported = await t.api
      .post('/connections')
      .send({ provider: 'keap', ownerId: 'last-verified-bogus', accessToken: 'never-issued-by-the-simulator' })
      .expect(201);
    const id = imported.body.id as string;
    await t.api.post(`/connections/${id}/verify`).expect(200);
    const after = await connection(id);
    expect(after).toMatchObject({ status: 'needs_reauth', lastVerifiedAt: null, lastError: { code: 'unauthorized' } });
    expect(await storedCheck(id)).not.toBeNull();
    expect(await shown(id)).toBe('<span class="muted">no passed check on record</span>');
  });
});
