import { TEST_API_KEY, TestApp } from './app';
import { cookiesOf } from './sandbox-flow';

/** A signed-in console browser over HTTP: its session cookie and the session's CSRF token. */
export interface ConsoleSession {
  cookie: string;
  csrf: string;
}

/**
 * Signs in to the console with `key` (an admin key) as a browser would: the sign-in form, then the
 * overview, whose forms carry the session's CSRF token.
 */
export async function consoleSignIn(t: Pick<TestApp, 'anon'>, key = TEST_API_KEY): Promise<ConsoleSession> {
  const res = await t.anon.post('/admin/sign-in').type('form').send({ key }).expect(303);
  expect(res.headers.location).toBe('/admin');
  const cookie = cookiesOf(res);
  const page = await t.anon.get('/admin').set('Cookie', cookie).expect(200);
  const csrf = /name="_csrf" value="([^"]+)"/.exec(page.text)?.[1];
  if (!csrf) throw new Error('the overview has no form with a CSRF token');
  return { cookie, csrf };
}
