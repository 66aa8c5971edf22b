import { HttpClient, HttpRequest, HttpResponse, HttpTransportError } from '../../../src/common/http-client';
import { ProviderSettings, ProviderSpec, readProviderSettings } from '../../../src/providers/core/provider-settings';

/** An HttpResponse as HttpClient.send returns it. */
export function response(status: number, body: unknown = '', headers: Record<string, string> = {}): HttpResponse {
  return {
    status,
    headers: new Headers(headers),
    text: typeof body === 'string' ? body : JSON.stringify(body),
  };
}

type Answer = HttpResponse | HttpTransportError | ((request: HttpRequest) => HttpResponse);

/**
 * The provider's boundary: records every request and answers from a queue (the last answer repeats).
 * Nothing leaves the process.
 */
export class FakeHttp {
  readonly requests: HttpRequest[] = [];
  private readonly answers: Answer[];

  constructor(...answers: Answer[]) {
    this.answers = answers.length ? answers : [response(200, {})];
  }

  get client(): HttpClient {
    return { send: (request: HttpRequest) => this.send(request) } as unknown as HttpClient;
  }

  /** The only request sent; fails the test if there were none or several. */
  get only(): HttpRequest {
    expect(this.requests).toHaveLength(1);
    return this.requests[0];
  }

  private send(request: HttpRequest): Promise<HttpResponse> {
    this.requests.push(request);
    const answer = this.answers.length > 1 ? this.answers.shift()! : this.answers[0];
    if (answer instanceof HttpTransportError) return Promise.reject(answer);
    return Promise.resolve(typeof answer === 'function' ? answer(request) : answer);
  }
}

/**
 * The form fields as they go on the wire: HttpClient.send drops undefined values before encoding, so an
 * undefined field is not sent at all.
 */
export function formOf(request: HttpRequest): Record<string, string> {
  expect(request.form).toBeDefined();
  expect(request.json).toBeUndefined();
  return Object.fromEntries(Object.entries(request.form!).filter(([, v]) => v !== undefined)) as Record<string, string>;
}

/** The JSON body as it goes on the wire (JSON.stringify drops undefined values). */
export function jsonOf(request: HttpRequest): unknown {
  expect(request.json).toBeDefined();
  expect(request.form).toBeUndefined();
  return JSON.parse(JSON.stringify(request.json)) as unknown;
}

/** The decoded HTTP Basic credentials of a request, or undefined without an Authorization: Basic header. */
export function basicOf(request: HttpRequest): { user: string; password: string } | undefined {
  const header = request.headers?.Authorization;
  if (!header?.startsWith('Basic ')) return undefined;
  const decoded = Buffer.from(header.slice(6), 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  const dec = (s: string) => decodeURIComponent(s.replace(/\+/g, ' '));
  return { user: dec(decoded.slice(0, colon)), password: dec(decoded.slice(colon + 1)) };
}

export const CLIENT_ID = 'client-id-1';
// Characters HTTP Basic must form-encode (RFC 6749 2.3.1): a colon, a space, a plus.
export const CLIENT_SECRET = 'se:cret +1/=';

/** A provider's settings as readProviderSettings would produce them, with test URLs. */
export function settings(overrides: Partial<ProviderSettings> = {}): ProviderSettings {
  return {
    name: 'test',
    displayName: 'Test',
    supports: { refresh: true, revoke: true, pkce: true, verify: true },
    clientId: CLIENT_ID,
    clientSecret: CLIENT_SECRET,
    authorizeUrl: 'https://auth.provider.test/authorize',
    tokenUrl: 'https://auth.provider.test/token',
    revokeUrl: 'https://auth.provider.test/revoke',
    apiBaseUrl: 'https://api.provider.test/v1',
    scopes: [],
    refreshLeadSeconds: 300,
    refreshRatePerSecond: 5,
    extra: {},
    sandbox: false,
    revokeSupersededTokens: false,
    ...overrides,
  };
}

/** A successful token response body. */
export const TOKENS = { access_token: 'at-1', refresh_token: 'rt-1', token_type: 'bearer', expires_in: 3600 };

/** A built-in provider's settings as the environment would give them: its real default URLs. */
export function settingsFromSpec(spec: ProviderSpec, env: Record<string, string> = {}): ProviderSettings {
  return readProviderSettings(
    spec,
    { [`${spec.envPrefix}_CLIENT_ID`]: CLIENT_ID, [`${spec.envPrefix}_CLIENT_SECRET`]: CLIENT_SECRET, ...env },
    3600,
  );
}
