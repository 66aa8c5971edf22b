import { basicAuth, HttpClient, HttpResponse, HttpTransportError } from '../../common/http-client';
import { ProviderError } from './provider-errors';
import { parseTokenResponse, TokenSet } from './token-response';
import { parseRetryAfter } from './provider-errors';
import { ProviderSettings } from './provider-settings';
import { withSpan, type SpanScope, type SpanValue } from '../../telemetry/spans';

export type BodyFormat = 'form' | 'json';
export type ClientAuth = 'body' | 'basic';

/**
 * The HTTP a provider module needs, in one place: token-endpoint calls in the provider's format and
 * authenticated API calls (whoami), both mapped to ProviderError.
 */
export class ProviderHttpClient {
  constructor(
    private readonly http: HttpClient,
    private readonly settings: ProviderSettings,
  ) {}

  /** POST to the token endpoint. Client credentials go in the body or an HTTP Basic header. */
  async token(
    fields: Record<string, string | undefined>,
    format: BodyFormat,
    clientAuth: ClientAuth = 'body',
  ): Promise<TokenSet> {
    return this.traced('token', { 'oauth.grant_type': fields.grant_type }, async (span) => {
      const { clientId, clientSecret } = this.credentials();
      const body = clientAuth === 'body' ? { client_id: clientId, client_secret: clientSecret, ...fields } : fields;
      const res = await this.send(
        {
          method: 'POST',
          url: this.settings.tokenUrl,
          headers: clientAuth === 'basic' ? { Authorization: basicAuth(clientId, clientSecret) } : {},
          ...(format === 'form' ? { form: body } : { json: dropUndefined(body) }),
        },
        span,
      );
      return parseTokenResponse(res, this.settings.name);
    });
  }

  /**
   * POST to the revoke endpoint; any 2xx counts as revoked (RFC 7009 answers 200 even for unknown
   * tokens). Without `clientAuth` the caller put the client credentials in `fields` itself.
   */
  async revoke(
    fields: Record<string, string>,
    format: BodyFormat,
    clientAuth?: ClientAuth,
  ): Promise<'revoked' | 'failed'> {
    const revokeUrl = this.settings.revokeUrl;
    if (!revokeUrl) return 'failed';
    return this.traced(
      'revoke',
      {},
      async (span) => {
        const { clientId, clientSecret } = this.credentials();
        const body = clientAuth === 'body' ? { client_id: clientId, client_secret: clientSecret, ...fields } : fields;
        try {
          const res = await this.send(
            {
              method: 'POST',
              url: revokeUrl,
              headers: clientAuth === 'basic' ? { Authorization: basicAuth(clientId, clientSecret) } : {},
              ...(format === 'form' ? { form: body } : { json: body }),
            },
            span,
          );
          return res.status >= 200 && res.status < 300 ? 'revoked' : 'failed';
        } catch {
          return 'failed';
        }
      },
      (result) => ({ outcome: result }),
    );
  }

  /** An API call with the access token; 401 means the provider no longer accepts it, 403 that it may not do this. */
  async api<T = unknown>(method: 'GET' | 'POST', url: string, accessToken: string, json?: unknown): Promise<T> {
    return this.traced('api', { 'http.request.method': method }, async (span) => {
      const res = await this.send({ method, url, headers: { Authorization: `Bearer ${accessToken}` }, json }, span);
      refuseUnlessOk(res);
      try {
        return JSON.parse(res.text) as T;
      } catch {
        throw new ProviderError('bad_response', 'API call answered without JSON');
      }
    });
  }

  /**
   * A DELETE with the access token (unregistering a webhook), mapped like `api`; its answer's body is
   * not read. 404 and 410: the thing is already gone, which is what was asked.
   */
  async apiDelete(url: string, accessToken: string): Promise<'deleted' | 'gone'> {
    return this.traced(
      'api',
      { 'http.request.method': 'DELETE' },
      async (span) => {
        const res = await this.send(
          { method: 'DELETE', url, headers: { Authorization: `Bearer ${accessToken}` } },
          span,
        );
        if (res.status === 404 || res.status === 410) return 'gone';
        refuseUnlessOk(res);
        return 'deleted';
      },
      (result) => ({ outcome: result }),
    );
  }

  credentials(): { clientId: string; clientSecret: string } {
    return { clientId: this.settings.clientId ?? '', clientSecret: this.settings.clientSecret ?? '' };
  }

  /**
   * A `provider.call` span (docs/operations.md "Traces"): the provider, the operation (token, revoke,
   * api), the status it answered, and the outcome (`ok`, the revoke's or delete's result, or the
   * ProviderError's kind). The HTTP call itself is its child (the undici instrumentation).
   */
  private traced<T>(
    operation: 'token' | 'revoke' | 'api',
    attributes: Record<string, SpanValue | undefined>,
    fn: (span: SpanScope) => Promise<T>,
    describe?: (result: T) => { outcome: string },
  ): Promise<T> {
    return withSpan(
      'provider.call',
      { provider: this.settings.name, 'provider.operation': operation, ...attributes },
      fn,
      describe && ((result) => (result === undefined ? undefined : describe(result))),
    );
  }

  private async send(request: Parameters<HttpClient['send']>[0], span: SpanScope): Promise<HttpResponse> {
    try {
      const res = await this.http.send(request);
      span.setAttribute('http.response.status_code', res.status);
      return res;
    } catch (error) {
      if (error instanceof HttpTransportError)
        throw new ProviderError(error.kind === 'too_large' ? 'bad_response' : error.kind, error.message);
      throw error;
    }
  }
}

/**
 * An API answer other than 2xx as a ProviderError: 401 the token is refused; 403 the token was accepted
 * but may not do this (a missing scope or permission, RFC 6750 3.1 insufficient_scope), which says
 * nothing about the token being dead; 429, 5xx, other 4xx.
 */
function refuseUnlessOk(res: HttpResponse): void {
  if (res.status === 401) throw new ProviderError('unauthorized', 'API call answered 401');
  if (res.status === 403) throw new ProviderError('forbidden', 'API call answered 403');
  if (res.status === 429)
    throw new ProviderError('rate_limited', 'API call answered 429', parseRetryAfter(res.headers.get('retry-after')));
  if (res.status >= 500)
    throw new ProviderError(
      'unavailable',
      `API call answered ${res.status}`,
      parseRetryAfter(res.headers.get('retry-after')),
    );
  if (res.status < 200 || res.status >= 300) throw new ProviderError('rejected', `API call answered ${res.status}`);
}

function dropUndefined(fields: Record<string, string | undefined>): Record<string, string> {
  return Object.fromEntries(Object.entries(fields).filter(([, v]) => v !== undefined)) as Record<string, string>;
}
