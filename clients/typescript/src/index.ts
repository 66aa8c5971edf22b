/**
 * TypeScript client of OAuth connection service 0.1.0.
 * Generated from openapi.json by clients/typescript/scripts/generate.mjs. Do not edit:
 * run `npm run client:generate` at the repository root after `npm run openapi`.
 */

import createClient, { type Client } from 'openapi-fetch';
import type { CreateApiKeyRequest, CreateConnectSessionRequest, CreateSubscriptionRequest, ImportConnectionRequest, UpdateConnectionRequest, operations, paths, webhooks } from './schema';

export type { components, operations, paths, webhooks } from './schema';
/** The spec's schemas (components.schemas) under their own names. */
export type {
  ActivityEntry,
  ActivityPage,
  ActivityType,
  ApiKey,
  ApiKeyList,
  ApiKeyScope,
  ConnectFlowError,
  ConnectSession,
  ConnectSessionState,
  ConnectSessionStatus,
  Connection,
  ConnectionError,
  ConnectionEventData,
  ConnectionEventError,
  ConnectionEventWebhook,
  ConnectionList,
  ConnectionStatus,
  CreateApiKeyRequest,
  CreateConnectSessionRequest,
  CreateSubscriptionRequest,
  CreatedApiKey,
  Credentials,
  DeleteConnectionResponse,
  DeleteSubscriptionResponse,
  DeletedConnectionSubscriptions,
  ErrorCode,
  ErrorResponse,
  ImportConnectionRequest,
  ObservedSession,
  Provider,
  ProviderCapabilities,
  ProviderEventData,
  ProviderEventSupport,
  ProviderEventWebhook,
  ProviderList,
  ProviderRevocation,
  ReconnectTarget,
  Subscription,
  SubscriptionList,
  SubscriptionStatus,
  UpdateConnectionRequest,
  WebhookDelivery,
  WebhookDeliveryList,
  WebhookDeliveryStatus,
  WebhookEventType,
} from './schema';

export interface ConnectionsClientOptions {
  /** Where the service runs, e.g. `http://localhost:3000`. */
  baseUrl: string;
  /** An API key with the scopes of the calls you make (or one of API_KEYS), sent as `Authorization: Bearer <apiKey>`. */
  apiKey: string;
  /** Headers sent with every request. */
  headers?: Record<string, string>;
  /** A fetch to use instead of globalThis.fetch. */
  fetch?: (request: Request) => Promise<Response>;
}

/** Per-call options. */
export interface RequestOptions {
  /** Extra headers for this call, e.g. `X-Request-Id`. */
  headers?: Record<string, string>;
  /** Cancels the call. */
  signal?: AbortSignal;
}

/** The operations of the API's routes (a webhook's operation is a request the service sends, not a call). */
export type OperationId = Exclude<keyof operations, 'connectionCreatedWebhook' | 'connectionDeletedWebhook' | 'connectionNeedsReauthWebhook' | 'connectionReconnectedWebhook' | 'connectionRefreshFailedWebhook' | 'connectionRevokedWebhook' | 'providerEventWebhook'>;
type SuccessStatus = 200 | 201 | 202 | 203 | 204 | 205 | 206 | 207 | 208 | 226;
type Responses<K extends OperationId> = operations[K]['responses'];
type JsonBody<R> = R extends { content: { 'application/json': infer T } } ? T : undefined;
/** The body of a 2xx answer of operation K. */
export type OperationData<K extends OperationId> = JsonBody<Responses<K>[Extract<keyof Responses<K>, SuccessStatus>]>;
/** The body of any other answer of operation K documented by the spec (ErrorResponse for every API route). */
export type OperationError<K extends OperationId> = JsonBody<Responses<K>[Exclude<keyof Responses<K>, SuccessStatus>]>;
/**
 * What every method resolves to: `data` on a 2xx answer, otherwise `error` (the parsed body), and always the
 * fetch `response` (status, headers such as X-Request-Id). Network failures reject the promise.
 */
export type OperationResult<K extends OperationId> =
  | { data: OperationData<K>; error?: never; response: Response }
  | { data?: never; error: OperationError<K>; response: Response };

/** A call through the proxy: method (GET by default), query, headers, body, retries. */
export interface ProxyInit extends RequestOptions {
  method?: 'GET' | 'HEAD' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  /** Appended as the query string. */
  query?: Record<string, string | number | boolean>;
  /** Sent as it is; a plain object or array is sent as JSON (Content-Type: application/json). */
  body?: RequestInit['body'] | Record<string, unknown> | unknown[];
  /** Proxy-Retries: retries of an idempotent call on 429, 5xx or no connection (0–5). */
  retries?: number;
}

/**
 * The JSON body the service POSTs to WEBHOOK_URL for webhook event E (openapi.json `webhooks`), e.g.
 * `WebhookBody<'provider.event'>`; without E, any of them, told apart by `type`. Verify the signature on the raw
 * body before parsing it.
 */
export type WebhookBody<E extends keyof webhooks = keyof webhooks> = NonNullable<webhooks[E]['post']>['requestBody']['content']['application/json'];

/** The path parameters of `createSubscription`. */
export type CreateSubscriptionParams = operations['createSubscription']['parameters']['path'];
/** The path parameters of `deleteConnection`. */
export type DeleteConnectionParams = operations['deleteConnection']['parameters']['path'];
/** The path parameters of `deleteSubscription`. */
export type DeleteSubscriptionParams = operations['deleteSubscription']['parameters']['path'];
/** The path parameters of `getConnectSession`. */
export type GetConnectSessionParams = operations['getConnectSession']['parameters']['path'];
/** The path parameters of `getConnection`. */
export type GetConnectionParams = operations['getConnection']['parameters']['path'];
/** The path and query parameters of `getConnectionCredentials`. */
export type GetConnectionCredentialsParams = operations['getConnectionCredentials']['parameters']['path'] & NonNullable<operations['getConnectionCredentials']['parameters']['query']>;
/** The query parameters of `listApiKeys`. */
export type ListApiKeysParams = NonNullable<operations['listApiKeys']['parameters']['query']>;
/** The path and query parameters of `listConnectionActivity`. */
export type ListConnectionActivityParams = operations['listConnectionActivity']['parameters']['path'] & NonNullable<operations['listConnectionActivity']['parameters']['query']>;
/** The query parameters of `listConnections`. */
export type ListConnectionsParams = NonNullable<operations['listConnections']['parameters']['query']>;
/** The path parameters of `listSubscriptions`. */
export type ListSubscriptionsParams = operations['listSubscriptions']['parameters']['path'];
/** The query parameters of `listWebhookDeliveries`. */
export type ListWebhookDeliveriesParams = NonNullable<operations['listWebhookDeliveries']['parameters']['query']>;
/** The path parameters of `redeliverWebhook`. */
export type RedeliverWebhookParams = operations['redeliverWebhook']['parameters']['path'];
/** The path parameters of `refreshConnection`. */
export type RefreshConnectionParams = operations['refreshConnection']['parameters']['path'];
/** The path parameters of `revokeApiKey`. */
export type RevokeApiKeyParams = operations['revokeApiKey']['parameters']['path'];
/** The path parameters of `updateConnection`. */
export type UpdateConnectionParams = operations['updateConnection']['parameters']['path'];
/** The path parameters of `verifyConnection`. */
export type VerifyConnectionParams = operations['verifyConnection']['parameters']['path'];

/** One method per operation of openapi.json, named by its operationId. */
export interface ConnectionsClient {
  /**
   * Create an API key with scopes
   *
   * The answer holds the key itself, once: store it then. Only its SHA-256 is kept.
   *
   * Requires an API key with the `admin` scope.
   *
   * `POST /api-keys` (operationId `createApiKey`)
   */
  createApiKey(body: CreateApiKeyRequest, options?: RequestOptions): Promise<OperationResult<'createApiKey'>>;
  /**
   * Create a one-time link that connects a user to a provider
   *
   * Send the user’s browser to `url` (one provider: its authorize route; `providers`: a hosted page where the user picks one). After consent the browser lands on `returnUrl?status=connected&connectionId=…&provider=…&sessionId=…` (or `status=error&error=<code>&sessionId=…`: access_denied, invalid_state, session_expired, provider_mismatch, token_exchange_failed, identity_failed, internal_error, account_mismatch). Connecting the same provider account again updates the same connection; `reconnect` insists on it. `observeToken` lets a browser learn the outcome (GET /connect/observe/{sessionId}); GET /connect-sessions/{id} tells your backend.
   *
   * Requires an API key with the `connections:write` scope (or `admin`).
   *
   * `POST /connect-sessions` (operationId `createConnectSession`)
   */
  createConnectSession(body: CreateConnectSessionRequest, options?: RequestOptions): Promise<OperationResult<'createConnectSession'>>;
  /**
   * Subscribe to the provider's events for this connection
   *
   * Registers a webhook at the provider with the connection's token, to `{PUBLIC_URL}/events/{provider}/{token}`; its events arrive as the `provider.event` webhook. ClickFunnels 2.0: one outgoing endpoint; Lightfunnels: one webhook (exactly one event per subscription); Keap: one REST hook per event (`pending_verification` until its X-Hook-Secret handshake arrives); Webflow: one webhook per authorized site and event.
   *
   * Requires an API key with the `connections:write` scope (or `admin`).
   *
   * `POST /connections/{id}/subscriptions` (operationId `createSubscription`)
   */
  createSubscription(params: CreateSubscriptionParams, body: CreateSubscriptionRequest, options?: RequestOptions): Promise<OperationResult<'createSubscription'>>;
  /**
   * Delete a connection, revoking it at the provider where possible
   *
   * Requires an API key with the `connections:write` scope (or `admin`).
   *
   * `DELETE /connections/{id}` (operationId `deleteConnection`)
   */
  deleteConnection(params: DeleteConnectionParams, options?: RequestOptions): Promise<OperationResult<'deleteConnection'>>;
  /**
   * Unsubscribe: remove the webhook at the provider, then the subscription
   *
   * When the provider fails (502) the subscription stays, so the call can be retried. A revoked connection has no token to call the provider with: only the subscription is deleted (removedAtProvider false).
   *
   * Requires an API key with the `connections:write` scope (or `admin`).
   *
   * `DELETE /connections/{id}/subscriptions/{subscriptionId}` (operationId `deleteSubscription`)
   */
  deleteSubscription(params: DeleteSubscriptionParams, options?: RequestOptions): Promise<OperationResult<'deleteSubscription'>>;
  /**
   * How a connect session ended, or that it has not
   *
   * So your backend can confirm what a browser reports. A session is kept a day after it expires, then 404.
   *
   * Requires an API key with the `connections:read` scope (or `admin`).
   *
   * `GET /connect-sessions/{id}` (operationId `getConnectSession`)
   */
  getConnectSession(params: GetConnectSessionParams, options?: RequestOptions): Promise<OperationResult<'getConnectSession'>>;
  /**
   * Get one connection (never its tokens)
   *
   * Requires an API key with the `connections:read` scope (or `admin`).
   *
   * `GET /connections/{id}` (operationId `getConnection`)
   */
  getConnection(params: GetConnectionParams, options?: RequestOptions): Promise<OperationResult<'getConnection'>>;
  /**
   * Get a valid access token for a connection
   *
   * Returns the decrypted access token, refreshed first when it expires within CREDENTIALS_SKEW_SECONDS (or with forceRefresh=true; with staleVersion too, only while the stored tokens are still that version). Never the refresh token. Responses carry Cache-Control: no-store. A still-valid token is served even when its refresh failed; 502 provider_unavailable only when it has expired.
   *
   * Requires an API key with the `credentials:read` scope (or `admin`).
   *
   * `GET /connections/{id}/credentials` (operationId `getConnectionCredentials`)
   */
  getConnectionCredentials(params: GetConnectionCredentialsParams, options?: RequestOptions): Promise<OperationResult<'getConnectionCredentials'>>;
  /**
   * The process is up (no dependencies checked)
   *
   * For a liveness probe: 200 while the process serves requests. No API key.
   *
   * `GET /health/live` (operationId `getLiveness`)
   */
  getLiveness(options?: RequestOptions): Promise<OperationResult<'getLiveness'>>;
  /**
   * The service can serve requests: the database answers
   *
   * For a readiness probe: 200 when the database answers within 3 s, else 503. No API key.
   *
   * `GET /health/ready` (operationId `getReadiness`)
   */
  getReadiness(options?: RequestOptions): Promise<OperationResult<'getReadiness'>>;
  /**
   * Import an existing token pair
   *
   * Stores tokens obtained outside a browser flow, such as a Keap "Generate API Token" pair. Importing the same (provider, ownerId, accountId) again replaces the tokens of that connection (200) instead of creating a new one (201).
   *
   * Requires an API key with the `connections:write` scope (or `admin`).
   *
   * `POST /connections` (operationId `importConnection`)
   */
  importConnection(body: ImportConnectionRequest, options?: RequestOptions): Promise<OperationResult<'importConnection'>>;
  /**
   * List API keys, newest first (never a key or its hash)
   *
   * The keys of API_KEYS come first, as `env-1`, `env-2`, … with the admin scope.
   *
   * Requires an API key with the `admin` scope.
   *
   * `GET /api-keys` (operationId `listApiKeys`)
   */
  listApiKeys(params?: ListApiKeysParams, options?: RequestOptions): Promise<OperationResult<'listApiKeys'>>;
  /**
   * A connection's activity, newest first, with keyset pagination
   *
   * What happened to the connection: connected, reconnected, refreshes and whoami checks (with the service’s failure code), status changes, uninstall, subscriptions, inbound events (their type), proxy calls per hour by status class, deleted. Kept ACTIVITY_RETENTION_DAYS (30), also after the connection is deleted. Never a token, payload or provider text.
   *
   * Requires an API key with the `connections:read` scope (or `admin`).
   *
   * `GET /connections/{id}/activity` (operationId `listConnectionActivity`)
   */
  listConnectionActivity(params: ListConnectionActivityParams, options?: RequestOptions): Promise<OperationResult<'listConnectionActivity'>>;
  /**
   * List connections, newest first, with keyset pagination
   *
   * Requires an API key with the `connections:read` scope (or `admin`).
   *
   * `GET /connections` (operationId `listConnections`)
   */
  listConnections(params?: ListConnectionsParams, options?: RequestOptions): Promise<OperationResult<'listConnections'>>;
  /**
   * List the configured providers and what each supports
   *
   * Requires an API key with the `connections:read` scope (or `admin`).
   *
   * `GET /providers` (operationId `listProviders`)
   */
  listProviders(options?: RequestOptions): Promise<OperationResult<'listProviders'>>;
  /**
   * A connection's subscriptions, oldest first
   *
   * Requires an API key with the `connections:read` scope (or `admin`).
   *
   * `GET /connections/{id}/subscriptions` (operationId `listSubscriptions`)
   */
  listSubscriptions(params: ListSubscriptionsParams, options?: RequestOptions): Promise<OperationResult<'listSubscriptions'>>;
  /**
   * List outbound webhook deliveries, newest first
   *
   * Requires an API key with the `webhooks` scope (or `admin`).
   *
   * `GET /webhook-deliveries` (operationId `listWebhookDeliveries`)
   */
  listWebhookDeliveries(params?: ListWebhookDeliveriesParams, options?: RequestOptions): Promise<OperationResult<'listWebhookDeliveries'>>;
  /**
   * Send a delivery again (e.g. after it failed)
   *
   * Requires an API key with the `webhooks` scope (or `admin`).
   *
   * `POST /webhook-deliveries/{id}/redeliver` (operationId `redeliverWebhook`)
   */
  redeliverWebhook(params: RedeliverWebhookParams, options?: RequestOptions): Promise<OperationResult<'redeliverWebhook'>>;
  /**
   * Refresh the tokens now
   *
   * One refresh across all replicas; concurrent calls share it. The refresh token never leaves the service.
   *
   * Requires an API key with the `connections:write` scope (or `admin`).
   *
   * `POST /connections/{id}/refresh` (operationId `refreshConnection`)
   */
  refreshConnection(params: RefreshConnectionParams, options?: RequestOptions): Promise<OperationResult<'refreshConnection'>>;
  /**
   * Revoke an API key
   *
   * Every replica refuses the key within 5 seconds (this one at once). Keys of API_KEYS: 409.
   *
   * Requires an API key with the `admin` scope.
   *
   * `DELETE /api-keys/{id}` (operationId `revokeApiKey`)
   */
  revokeApiKey(params: RevokeApiKeyParams, options?: RequestOptions): Promise<OperationResult<'revokeApiKey'>>;
  /**
   * Replace a connection's metadata
   *
   * Requires an API key with the `connections:write` scope (or `admin`).
   *
   * `PATCH /connections/{id}` (operationId `updateConnection`)
   */
  updateConnection(params: UpdateConnectionParams, body: UpdateConnectionRequest, options?: RequestOptions): Promise<OperationResult<'updateConnection'>>;
  /**
   * Check the token with the provider’s whoami call
   *
   * A 401 from the provider marks the connection needs_reauth. A revoked connection (uninstalled at the provider) has no token to check: 409 connection_revoked.
   *
   * Requires an API key with the `connections:write` scope (or `admin`).
   *
   * `POST /connections/{id}/verify` (operationId `verifyConnection`)
   */
  verifyConnection(params: VerifyConnectionParams, options?: RequestOptions): Promise<OperationResult<'verifyConnection'>>;
  /**
   * Calls the connection's provider API through the service (`/proxy/{connectionId}/{path}`): the service adds
   * the token, renews it once on a 401 and replays the call. Resolves to the answer as a fetch Response: the
   * provider's (status, headers, body as they are; `Proxy-Status` says `received-status=…`), or the service's
   * own ErrorResponse (no Proxy-Status header), e.g. 409 connection_needs_reauth. Requires the `proxy` scope.
   */
  proxy(connectionId: string, path: string, init?: ProxyInit): Promise<Response>;
  /** The underlying openapi-fetch client, e.g. for middleware: `client.raw.use(...)`. */
  readonly raw: Client<paths>;
}

/** A client for the service at `baseUrl`, authenticated with `apiKey`. */
export function createConnectionsClient(options: ConnectionsClientOptions): ConnectionsClient {
  const raw = createClient<paths>({
    baseUrl: options.baseUrl,
    fetch: options.fetch,
    headers: { ...options.headers, Authorization: `Bearer ${options.apiKey}` },
  });
  return {
    raw,
    proxy: (connectionId, path, init = {}) => {
      // Characters a path segment may hold (RFC 3986 pchar) stay as they are, `%` too: a path that is
      // already percent-encoded is sent as it is. Anything else is encoded; the query goes in `query`.
      const segments = path.replace(/^\/+/, '').split('/').map((s) => s.replace(/[^A-Za-z0-9\-._~!$&'()*+,;=:@%]/g, encodeURIComponent)).join('/');
      const query = init.query
        ? `?${new URLSearchParams(Object.entries(init.query).map(([k, v]): [string, string] => [k, String(v)])).toString()}`
        : '';
      const url = `${options.baseUrl.replace(/\/+$/, '')}/proxy/${encodeURIComponent(connectionId)}/${segments}${query}`;
      const json = typeof init.body === 'object' && init.body !== null && (Array.isArray(init.body) || Object.getPrototypeOf(init.body) === Object.prototype);
      // Header names in any case: later ones replace earlier ones (Headers folds the case).
      const headers = new Headers(options.headers);
      if (json) headers.set('Content-Type', 'application/json');
      if (init.retries !== undefined) headers.set('Proxy-Retries', String(init.retries));
      for (const [name, value] of Object.entries(init.headers ?? {})) headers.set(name, value);
      headers.set('Authorization', `Bearer ${options.apiKey}`);
      const stream = typeof ReadableStream !== 'undefined' && init.body instanceof ReadableStream;
      const request = new Request(url, {
        method: init.method ?? 'GET',
        headers,
        body: json ? JSON.stringify(init.body) : (init.body as RequestInit['body']),
        signal: init.signal,
        // A streamed body must say so (fetch's half duplex).
        ...(stream && { duplex: 'half' }),
      } as RequestInit);
      return (options.fetch ?? globalThis.fetch)(request);
    },
    createApiKey: (body, init) => raw.POST('/api-keys', { ...init, body }),
    createConnectSession: (body, init) => raw.POST('/connect-sessions', { ...init, body }),
    createSubscription: ({ id }, body, init) => raw.POST('/connections/{id}/subscriptions', { ...init, params: { path: { id } }, body }),
    deleteConnection: ({ id }, init) => raw.DELETE('/connections/{id}', { ...init, params: { path: { id } } }),
    deleteSubscription: ({ id, subscriptionId }, init) => raw.DELETE('/connections/{id}/subscriptions/{subscriptionId}', { ...init, params: { path: { id, subscriptionId } } }),
    getConnectSession: ({ id }, init) => raw.GET('/connect-sessions/{id}', { ...init, params: { path: { id } } }),
    getConnection: ({ id }, init) => raw.GET('/connections/{id}', { ...init, params: { path: { id } } }),
    getConnectionCredentials: ({ id, ...query }, init) => raw.GET('/connections/{id}/credentials', { ...init, params: { path: { id }, query } }),
    getLiveness: (init) => raw.GET('/health/live', { ...init }),
    getReadiness: (init) => raw.GET('/health/ready', { ...init }),
    importConnection: (body, init) => raw.POST('/connections', { ...init, body }),
    listApiKeys: (query, init) => raw.GET('/api-keys', { ...init, params: { query } }),
    listConnectionActivity: ({ id, ...query }, init) => raw.GET('/connections/{id}/activity', { ...init, params: { path: { id }, query } }),
    listConnections: (query, init) => raw.GET('/connections', { ...init, params: { query } }),
    listProviders: (init) => raw.GET('/providers', { ...init }),
    listSubscriptions: ({ id }, init) => raw.GET('/connections/{id}/subscriptions', { ...init, params: { path: { id } } }),
    listWebhookDeliveries: (query, init) => raw.GET('/webhook-deliveries', { ...init, params: { query } }),
    redeliverWebhook: ({ id }, init) => raw.POST('/webhook-deliveries/{id}/redeliver', { ...init, params: { path: { id } } }),
    refreshConnection: ({ id }, init) => raw.POST('/connections/{id}/refresh', { ...init, params: { path: { id } } }),
    revokeApiKey: ({ id }, init) => raw.DELETE('/api-keys/{id}', { ...init, params: { path: { id } } }),
    updateConnection: ({ id }, body, init) => raw.PATCH('/connections/{id}', { ...init, params: { path: { id } }, body }),
    verifyConnection: ({ id }, init) => raw.POST('/connections/{id}/verify', { ...init, params: { path: { id } } }),
  };
}
