import { createHmac } from 'node:crypto';
import { SANDBOX_SIMULATORS } from '../../src/dev/sandbox/simulators/registry';
import type { ApiCall, ProviderSimulator, StoredWebhook } from '../../src/dev/sandbox/simulators/simulator';
import { Params } from '../../src/dev/sandbox/simulators/wire';
import { memoryWebhooks } from '../support/sandbox-memory';

/** The simulators' webhooks without the app: signatures against node:crypto, registration against a memory store. */

const NOW = new Date('2026-12-06T05:40:00.123Z');
const BODY = '{"a": 1,\n "b": "é"}';
const hook = (over: Partial<StoredWebhook> = {}): StoredWebhook => ({
  id: '1',
  account: 'acct',
  events: [],
  url: 'https://app.example/events/x/y',
  name: null,
  secret: 'endpoint-secret',
  status: 'active',
  data: { siteId: 'site' },
  createdAt: NOW,
  ...over,
});
const hex = (key: string, data: string) => createHmac('sha256', key).update(data, 'utf8').digest('hex');

describe('simulated webhook signatures (vectors computed here with node:crypto)', () => {
  const { clickfunnels, lightfunnels, webflow, keap } = SANDBOX_SIMULATORS;

  it('ClickFunnels 2.0: hex HMAC of "{seconds}.{body}" with the endpoint secret', () => {
    expect(clickfunnels.webhooks!.sign(BODY, hook(), NOW)).toEqual({
      'X-Webhook-ClickFunnels-Timestamp': '1796535600',
      'X-Webhook-ClickFunnels-Signature': hex('endpoint-secret', `1796535600.${BODY}`),
    });
  });

  it('Lightfunnels: base64 HMAC of the body with the client secret', () => {
    expect(lightfunnels.webhooks!.sign(BODY, hook(), NOW)).toEqual({
      'lightfunnels-hmac': createHmac('sha256', 'sandbox-secret-lightfunnels').update(BODY).digest('base64'),
    });
  });

  it('Webflow: hex HMAC of "{ms}:{body}" with the client secret', () => {
    expect(webflow.webhooks!.sign(BODY, hook(), NOW)).toEqual({
      'x-webflow-timestamp': '1796535600123',
      'x-webflow-signature': hex('sandbox-secret-webflow', `1796535600123:${BODY}`),
    });
  });

  it('Keap: unsigned; ClickFunnels Classic has no webhooks', () => {
    expect(keap.webhooks!.sign(BODY, hook(), NOW)).toEqual({});
    expect(SANDBOX_SIMULATORS['clickfunnels-classic'].webhooks).toBeNull();
  });

  it('the uninstall bodies name the account', () => {
    const event = { id: 'e1', now: NOW };
    expect(lightfunnels.webhooks!.body('app/uninstalled', hook({ account: '1234567' }), event)).toEqual({
      node: { id: '1234567' },
    });
    expect(
      clickfunnels.webhooks!.body('platform_application.disconnected', hook({ account: '42' }), event),
    ).toMatchObject({ event_id: 'e1', event_type: 'platform_application.disconnected', workspace_id: 42 });
  });
});

describe('Keap hook registration against a memory store', () => {
  const { keap } = SANDBOX_SIMULATORS;
  const route = (simulator: ProviderSimulator, method: string, path: string) =>
    simulator.api.find((r) => r.method === method && r.path === path)!;
  const call = (echo: boolean, body: unknown): ApiCall => ({
    token: { grantId: 'g', account: keap.account('demo'), scope: 'full', createdAt: NOW },
    params: {},
    query: Params.of({}),
    body,
    format: 'json',
    origin: 'http://127.0.0.1:4000',
    records: { create: jest.fn(), list: jest.fn() },
    webhooks: memoryWebhooks(echo),
  });

  it('a hook whose handshake is echoed is Verified, one that is not stays Unverified and gets no events', async () => {
    const create = route(keap, 'POST', 'hooks');
    const ok = await create.handle(call(true, { eventKey: 'contact.add', hookUrl: 'https://a.example/h' }));
    expect(ok.json).toMatchObject({ eventKey: 'contact.add', status: 'Verified' });
    const silent = call(false, { eventKey: 'contact.add', hookUrl: 'https://a.example/h' });
    const refused = await create.handle(silent);
    expect(refused.json).toMatchObject({ status: 'Unverified' });
    const [stored] = await silent.webhooks.list(keap.accountKey(keap.account('demo')));
    expect(keap.webhooks!.receives(stored, 'contact.add')).toBe(false);
    expect(keap.webhooks!.statusAfter!(410)).toBe('Inactive');
  });
});
