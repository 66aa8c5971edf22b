import type { OpenAPIObject } from '@nestjs/swagger';
import { UUID_SCHEMA } from '../common/limits';

type PathItemObject = OpenAPIObject['paths'][string];
type OperationObject = NonNullable<PathItemObject['get']>;

const ERROR = { $ref: '#/components/schemas/ErrorResponse' };
/** Node refuses (431) a request whose request line and headers pass 16 KiB: the bound of `path`. */
const REQUEST_HEAD_MAX_BYTES = 16 * 1024;
/** The most PROXY_MAX_BODY_BYTES may be set to (proxy.config.ts); 10 MB by default. */
const PROXY_BODY_MAX_BYTES = 100 * 1024 * 1024;
const errors: Record<string, string> = {
  '400':
    'invalid_proxy_path (.., //, backslashes, encoded slashes), a malformed id or Proxy-Retries (validation_failed)',
  '401':
    'Missing, unknown or revoked API key (unauthorized); or the provider refused the renewed token too (its answer, with Proxy-Status)',
  '403': 'The API key does not have the `proxy` scope (insufficient_scope)',
  '404': 'No connection with this id (connection_not_found); or the provider answered 404 (with Proxy-Status)',
  '409':
    'The connection needs its user to reconnect (connection_needs_reauth), or they uninstalled the app at the provider (connection_revoked); no call is made',
  '413': 'The request body is over PROXY_MAX_BODY_BYTES (payload_too_large)',
  '502':
    "The provider's API could not be reached (provider_unavailable), or resolves to a private address in production that <P>_ALLOW_PRIVATE_API_HOST does not allow (proxy_target_not_allowed)",
  '504': "The provider's API did not answer within PROXY_TIMEOUT_MS (upstream_timeout)",
};

function operation(method: string, withBody: boolean): OperationObject {
  return {
    operationId: `proxy${method}`,
    tags: ['proxy'],
    summary: `${method.toUpperCase()} on the connection's provider API, with its token`,
    description: [
      "Calls `{API base}/{path}?{query}` of the connection's provider, where the API base is the provider's (or ClickFunnels 2.0's workspace) and the token is the connection's: the caller never sees it.",
      "The answer is the provider's, streamed as it is (status, body, headers but cookies, hop-by-hop and caching headers), marked `Proxy-Status: oauth-connections; received-status=<status>`; answers of the service itself are ErrorResponse without that header. Every answer carries `Cache-Control: private, no-store` and `Vary: Authorization` (the provider's `ETag` and `Last-Modified` stay, for conditional requests).",
      'On a 401 the token is renewed once (refresh, or a whoami check for tokens that do not expire) and the call replayed; a connection whose token was renewed within PROXY_RENEW_MIN_INTERVAL_SECONDS (30 s) is not renewed again: its 401 comes back as it is. 429 and 5xx come back as they are; `Proxy-Retries: 1–5` retries idempotent calls (GET, HEAD, PUT, DELETE, or any with Idempotency-Key), honouring Retry-After, 30 s at most. Redirects are not followed.',
      'Requires an API key with the `proxy` scope (or `admin`).',
    ].join('\n\n'),
    'x-required-scopes': ['proxy'],
    'x-proxy': true,
    security: [{ bearer: [] }],
    parameters: [
      { name: 'connectionId', in: 'path', required: true, schema: UUID_SCHEMA },
      {
        name: 'path',
        in: 'path',
        required: true,
        description:
          'The rest of the URL under the API base: several segments (`contacts/7`), sent as they are, and the query string',
        schema: { type: 'string', maxLength: REQUEST_HEAD_MAX_BYTES },
      },
      {
        name: 'Proxy-Retries',
        in: 'header',
        required: false,
        description: 'Retries of an idempotent call on 429, 5xx or no connection (0 by default)',
        schema: { type: 'integer', format: 'int32', minimum: 0, maximum: 5 },
      },
    ],
    ...(withBody && {
      requestBody: {
        required: false,
        description:
          'Passed on byte for byte, any content type, up to PROXY_MAX_BODY_BYTES (10 MB by default, at most 100 MB)',
        content: { '*/*': { schema: { type: 'string', format: 'binary', maxLength: PROXY_BODY_MAX_BYTES } } },
      },
    }),
    responses: {
      default: {
        description: "The provider's answer, as it is (Proxy-Status: oauth-connections; received-status=<status>)",
        // Any bytes, streamed as they come: neither typed nor bounded by this service.
        content: { '*/*': {} },
      },
      ...Object.fromEntries(
        Object.entries(errors).map(([status, description]) => [
          status,
          { description, content: { 'application/json': { schema: ERROR } } },
        ]),
      ),
    },
  } as OperationObject;
}

/**
 * `/proxy/{connectionId}/{path}` in the OpenAPI document (the route is a wildcard, which Nest's Swagger
 * module cannot describe). `x-proxy` marks its operations for the client generator, which offers one
 * `proxy()` helper instead of a method per operation (a path parameter would have its slashes encoded).
 */
export function proxyPathItem(): PathItemObject {
  return {
    get: operation('Get', false),
    head: operation('Head', false),
    post: operation('Post', true),
    put: operation('Put', true),
    patch: operation('Patch', true),
    delete: operation('Delete', true),
  };
}
