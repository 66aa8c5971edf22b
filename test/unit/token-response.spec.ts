import { Logger } from '@nestjs/common';
import { ProviderError } from '../../src/providers/core/provider-errors';
import { parseTokenResponse, TokenSet } from '../../src/providers/core/token-response';
import { response } from './support/fake-http';

function parse(status: number, body: unknown, headers: Record<string, string> = {}): TokenSet {
  return parseTokenResponse(response(status, body, headers), 'test');
}

function failure(status: number, body: unknown, headers: Record<string, string> = {}): ProviderError {
  try {
    parse(status, body, headers);
  } catch (error) {
    expect(error).toBeInstanceOf(ProviderError);
    return error as ProviderError;
  }
  throw new Error('expected a ProviderError');
}

describe('parseTokenResponse', () => {
  let warn: jest.SpyInstance;
  beforeEach(() => {
    warn = jest.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined);
  });
  afterEach(() => warn.mockRestore());

  describe('a successful answer', () => {
    it('normalises the standard fields and keeps the provider-specific ones in raw', () => {
      const body = {
        access_token: 'at-1',
        refresh_token: 'rt-1',
        token_type: 'bearer',
        expires_in: 3600,
        scope: 'read write',
        team_id: 7,
      };
      expect(parse(200, body)).toEqual({
        accessToken: 'at-1',
        refreshToken: 'rt-1',
        tokenType: 'Bearer',
        expiresIn: 3600,
        scope: 'read write',
        raw: body,
      });
      expect(warn).not.toHaveBeenCalled();
    });

    it('accepts any 2xx status', () => {
      expect(parse(201, { access_token: 'at-1' }).accessToken).toBe('at-1');
    });

    it('defaults what is absent: Bearer, no refresh token, no expiry, no scope', () => {
      expect(parse(200, { access_token: 'at-1' })).toEqual({
        accessToken: 'at-1',
        refreshToken: undefined,
        tokenType: 'Bearer',
        expiresIn: undefined,
        scope: undefined,
        raw: { access_token: 'at-1' },
      });
      expect(warn).not.toHaveBeenCalled();
    });

    it('treats an empty or non-string refresh_token as none', () => {
      expect(parse(200, { access_token: 'at', refresh_token: '' }).refreshToken).toBeUndefined();
      expect(parse(200, { access_token: 'at', refresh_token: 42 }).refreshToken).toBeUndefined();
      expect(parse(200, { access_token: 'at', refresh_token: null }).refreshToken).toBeUndefined();
    });

    it.each([
      ['bearer', 'Bearer'],
      ['BEARER', 'Bearer'],
      ['Bearer', 'Bearer'],
      ['mac', 'mac'],
      ['DPoP', 'DPoP'],
      ['', 'Bearer'],
      ['Bearer <script>', 'Bearer'],
      ['x'.repeat(40), 'Bearer'],
      [12, 'Bearer'],
    ])('token_type %j is read as %j', (tokenType, expected) => {
      expect(parse(200, { access_token: 'at', token_type: tokenType }).tokenType).toBe(expected);
    });

    it('ignores a scope that is not a string', () => {
      expect(parse(200, { access_token: 'at', scope: ['a', 'b'] }).scope).toBeUndefined();
    });
  });

  describe('expires_in', () => {
    it.each([
      [3600, 3600],
      ['3600', 3600],
      [' 7200 ', 7200],
      [3600.9, 3600],
      ['86400.5', 86400],
    ])('uses %j as %j seconds', (value, expected) => {
      expect(parse(200, { access_token: 'at', expires_in: value }).expiresIn).toBe(expected);
      expect(warn).not.toHaveBeenCalled();
    });

    it.each([[0], [-1], ['-3600'], ['0'], ['soon'], ['1e3'], [''], [true], [{}], [11 * 365 * 86_400]])(
      'ignores %j like absent, with a warning, without failing the connect',
      (value) => {
        const tokens = parse(200, { access_token: 'at', expires_in: value });
        expect(tokens.accessToken).toBe('at');
        expect(tokens.expiresIn).toBeUndefined();
        expect(warn).toHaveBeenCalledTimes(1);
      },
    );

    it('says nothing when it is absent or null', () => {
      expect(parse(200, { access_token: 'at', expires_in: null }).expiresIn).toBeUndefined();
      expect(parse(200, { access_token: 'at' }).expiresIn).toBeUndefined();
      expect(warn).not.toHaveBeenCalled();
    });
  });

  describe('an answer without a usable token', () => {
    it.each([
      ['no access_token', { token_type: 'bearer' }],
      ['an empty access_token', { access_token: '' }],
      ['a numeric access_token', { access_token: 12345 }],
      ['a null access_token', { access_token: null }],
    ])('refuses %s as bad_response', (_name, body) => {
      const error = failure(200, body);
      expect(error.kind).toBe('bad_response');
      expect(error.message).toContain('without an access_token');
    });

    it.each([
      ['HTML', '<html><body>Welcome</body></html>'],
      ['empty', ''],
      ['a JSON array', '[{"access_token":"at"}]'],
      ['JSON null', 'null'],
      ['a JSON string', '"at"'],
      ['truncated JSON', '{"access_token":"at"'],
    ])('refuses a 200 with %s body as bad_response', (_name, text) => {
      expect(failure(200, text).kind).toBe('bad_response');
    });

    it.each([301, 302, 303, 307, 308])('refuses a %i redirect as bad_response, whatever the body', (status) => {
      const error = failure(status, { access_token: 'at-from-redirect' }, { location: 'https://evil.test/steal' });
      expect(error.kind).toBe('bad_response');
      expect(error.message).toContain('redirect');
      expect(error.message).not.toContain('evil.test');
    });
  });

  describe('OAuth error bodies', () => {
    it.each([
      [400, 'invalid_grant', 'invalid_grant'],
      [401, 'invalid_grant', 'invalid_grant'],
      [400, 'invalid_client', 'invalid_client'],
      [401, 'invalid_client', 'invalid_client'],
      [400, 'unauthorized_client', 'invalid_client'],
      [400, 'invalid_request', 'rejected'],
      [400, 'invalid_scope', 'rejected'],
      [400, 'unsupported_grant_type', 'rejected'],
      [403, 'access_denied', 'rejected'],
    ])('%i %s is %s', (status, code, kind) => {
      const error = failure(status, { error: code, error_description: 'Something went wrong' });
      expect(error.kind).toBe(kind);
      expect(error.message).toBe(`Token endpoint answered ${status} ${code}`);
    });

    it('reads an error in a 200 answer, even next to an access_token', () => {
      const error = failure(200, { error: 'invalid_grant', access_token: 'at-should-not-be-used' });
      expect(error.kind).toBe('invalid_grant');
      expect(error.message).toBe('Token endpoint answered 200 invalid_grant');
    });

    it('names the status when a 4xx carries no OAuth error', () => {
      const error = failure(404, '<html>Not found</html>');
      expect(error.kind).toBe('rejected');
      expect(error.message).toBe('Token endpoint answered 404 http_404');
      expect(failure(400, { error: 42 }).message).toBe('Token endpoint answered 400 http_400');
    });

    it('never keeps the provider’s text: error_description is dropped, an unknown error code is unknown_error', () => {
      const error = failure(400, {
        error: 'invalid_request',
        error_description: `code abc123 was already used <script>alert("x")</script>`,
      });
      expect(error.message).toBe('Token endpoint answered 400 invalid_request');
      const echoed = failure(400, { error: '<b>\r\nat-SECRET-123 is not valid</b>' });
      expect(echoed.kind).toBe('rejected');
      expect(echoed.message).toBe('Token endpoint answered 400 unknown_error');
      expect(failure(200, { error: 'code=abc123 reused' }).message).toBe('Token endpoint answered 200 unknown_error');
    });

    it('leaves out an error_description that is not a string', () => {
      expect(failure(400, { error: 'invalid_grant', error_description: { nested: true } }).message).toBe(
        'Token endpoint answered 400 invalid_grant',
      );
    });
  });

  describe('rate limits and outages', () => {
    it('reads 429 as rate_limited with Retry-After in seconds', () => {
      const error = failure(429, { error: 'slow_down' }, { 'retry-after': '30' });
      expect(error.kind).toBe('rate_limited');
      expect(error.retryAfterMs).toBe(30_000);
    });

    it('reads a Retry-After HTTP date relative to now', () => {
      const at = new Date(Date.now() + 120_000).toUTCString();
      const error = failure(429, '', { 'retry-after': at });
      expect(error.retryAfterMs).toBeGreaterThan(110_000);
      expect(error.retryAfterMs).toBeLessThanOrEqual(120_000);
    });

    it('has no retryAfterMs without (or with a garbage) Retry-After', () => {
      expect(failure(429, '').retryAfterMs).toBeUndefined();
      expect(failure(429, '', { 'retry-after': 'later' }).retryAfterMs).toBeUndefined();
    });

    it('is rate_limited on 429 even when the body names an OAuth error', () => {
      expect(failure(429, { error: 'invalid_grant' }).kind).toBe('rate_limited');
    });

    it.each([500, 502, 503, 504])('reads %i as unavailable, whatever the body', (status) => {
      const error = failure(status, { error: 'invalid_grant' }, { 'retry-after': '5' });
      expect(error.kind).toBe('unavailable');
      expect(error.retryAfterMs).toBe(5000);
      expect(error.message).toBe(`Token endpoint answered ${status}`);
    });
  });

  describe('secrets in answers', () => {
    const secrets = ['at-SECRET-1', 'rt-SECRET-2', 'code-SECRET-3', 'client-SECRET-4'];
    const leaky = {
      access_token: secrets[0],
      refresh_token: secrets[1],
      code: secrets[2],
      client_secret: secrets[3],
    };

    it.each([
      ['a 400 echoing the request', 400, { error: 'invalid_grant', ...leaky }],
      ['a 401 echoing the request', 401, { error: 'invalid_client', ...leaky }],
      ['a 200 with an error and tokens', 200, { error: 'invalid_request', ...leaky }],
      ['a 500 with the tokens', 500, leaky],
      ['a 429 with the tokens', 429, leaky],
      ['a redirect with the tokens', 302, leaky],
      ['a 200 without access_token', 200, { ...leaky, access_token: undefined }],
      ['a form-encoded 200', 200, `access_token=${secrets[0]}&refresh_token=${secrets[1]}`],
      ['a non-JSON 400', 400, `code=${secrets[2]}&client_secret=${secrets[3]}`],
    ])('keeps tokens, codes and secrets out of the message of %s', (_name, status, body) => {
      const error = failure(status, body);
      for (const secret of secrets) {
        expect(error.message).not.toContain(secret);
        expect(error.stack ?? '').not.toContain(secret);
      }
    });
  });
});
