import { pathOnly, redactDeep, REDACT_PATHS, serializeError } from '../../src/common/logging';

describe('log redaction', () => {
  it('a request path is logged without its query and without a provider-event URL token', () => {
    const token = 'tK9_secret-token-of-43-characters-aaaaaaaaaa';
    expect(pathOnly(`/events/keap/${token}`)).toBe('/events/keap/{token}');
    expect(pathOnly(`/EVENTS/keap/${token}?x=1`)).toBe('/EVENTS/keap/{token}');
    expect(pathOnly(`/events/webflow/${token}/`)).toBe('/events/webflow/{token}/');
    // The app-level route has no token; other paths are as they were.
    expect(pathOnly('/events/clickfunnels')).toBe('/events/clickfunnels');
    expect(pathOnly('/connections/abc/credentials?forceRefresh=true')).toBe('/connections/abc/credentials');
    expect(pathOnly('/oauth/keap/callback?code=c&state=s')).toBe('/oauth/keap/callback');
    expect(pathOnly('/eventsx/a/b')).toBe('/eventsx/a/b');
  });

  it('replaces secret-named fields at any of the first levels, in objects and arrays, without mutating the input', () => {
    const input = {
      msg: 'x',
      code: 'internal_error',
      nested: { client_secret: 's1', list: [{ refresh_token: 's2' }, 'plain'], deeper: { inner: { apiKey: 's3' } } },
      query: { code: 'oauth-code', state: 'oauth-state', page: 2 },
      body: { code: 'oauth-code-2' },
    };
    const snapshot = JSON.stringify(input);
    const out = redactDeep(input) as typeof input;
    expect(JSON.stringify(input)).toBe(snapshot);
    expect(out.code).toBe('internal_error');
    expect(out.nested.client_secret).toBe('[redacted]');
    expect((out.nested.list[0] as { refresh_token: string }).refresh_token).toBe('[redacted]');
    expect(out.nested.list[1]).toBe('plain');
    expect(out.nested.deeper.inner.apiKey).toBe('[redacted]');
    expect(out.query).toEqual({ code: '[redacted]', state: '[redacted]', page: 2 });
    expect(out.body).toEqual({ code: '[redacted]' });
  });

  it('returns the same object when nothing is secret (no copying on the hot path)', () => {
    const input = { req: { id: '1', method: 'GET', path: '/x' }, res: { statusCode: 200 } };
    expect(redactDeep(input)).toBe(input);
  });

  it('leaves the top level to pino’s own fixed paths', () => {
    expect(REDACT_PATHS).toContain('["accessToken"]');
    expect(REDACT_PATHS.every((p) => !p.includes('*'))).toBe(true);
  });

  it('drops the query strings of URLs quoted in an error message or stack', () => {
    const error = new Error(
      `Reply was already sent, did you forget to "return reply" in the "/oauth/keap/callback?code=SECRET-CODE&state=SECRET-STATE" (GET) route?`,
    );
    const serialized = serializeError(error);
    expect(serialized.message).toBe(
      'Reply was already sent, did you forget to "return reply" in the "/oauth/keap/callback?[redacted]" (GET) route?',
    );
    expect(JSON.stringify(serialized)).not.toContain('SECRET');
    expect(serializeError(new Error('plain message'))).toMatchObject({ message: 'plain message', type: 'Error' });
  });
});
