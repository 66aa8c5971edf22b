/**
 * What an API key may do (docs/api-keys.md). Each route declares the one scope it needs with
 * @RequireScope; `admin` allows everything, including managing keys.
 */
export const SCOPES = [
  'connections:read',
  'connections:write',
  'credentials:read',
  'proxy',
  'webhooks',
  'metrics',
  'admin',
] as const;

export type Scope = (typeof SCOPES)[number];

export const SCOPE_DESCRIPTIONS: Record<Scope, string> = {
  'connections:read':
    'GET /providers, GET /connections, GET /connections/{id}, its subscriptions and activity, GET /connect-sessions/{id}',
  'connections:write': 'import, PATCH and DELETE connections, refresh, verify, subscriptions, POST /connect-sessions',
  'credentials:read': 'GET /connections/{id}/credentials (the tokens themselves)',
  proxy:
    "/proxy/{connectionId}/…: call the provider's API with the connection's token; a provider 401 can trigger a token refresh (at most one per connection per PROXY_RENEW_MIN_INTERVAL_SECONDS)",
  webhooks: '/webhook-deliveries: list and redeliver',
  metrics: 'GET /metrics',
  admin: 'everything, and /api-keys',
};

/** Whether a key holding `granted` may use a route that requires `required`. */
export function allows(granted: readonly Scope[], required: Scope): boolean {
  return granted.includes(required) || granted.includes('admin');
}
