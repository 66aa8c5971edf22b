import type { Connection } from '../../connections/connection.dto';

/** One call of a provider's API, relative to the connection's API base (what `/proxy/{id}` would take). */
export interface SampleCall {
  method: 'GET' | 'POST';
  /** The path and query after the API base, as ProxyCall.rest takes it ('' is the base itself). */
  rest: string;
  /** A JSON body (POST only). */
  body?: Record<string, unknown>;
  /** What the page shows for the call, e.g. `GET contacts`. */
  label: string;
}

const LIGHTFUNNELS_QUERY = 'query { orders(first: 3) { edges { node { id name email total currency } } } }';

/**
 * Per built-in provider: one read of the API slice its simulator serves (src/dev/sandbox/simulators),
 * which is also a call the real provider answers. Generic providers have none (nothing is known of
 * their APIs).
 */
const SAMPLES: Record<string, (c: Pick<Connection, 'apiBaseUrl'>) => SampleCall> = {
  keap: () => ({ method: 'GET', rest: '/contacts?limit=5', label: 'GET contacts?limit=5' }),
  'clickfunnels-classic': () => ({ method: 'GET', rest: '/funnels', label: 'GET funnels' }),
  webflow: () => ({ method: 'GET', rest: '/sites', label: 'GET sites' }),
  lightfunnels: () => ({
    method: 'POST',
    rest: '',
    body: { query: LIGHTFUNNELS_QUERY },
    label: 'POST GraphQL { orders(first: 3) }',
  }),
  // The connection's API base is its workspace (workspace_url) when the token answer named one.
  clickfunnels: (c) =>
    c.apiBaseUrl
      ? { method: 'GET', rest: '', label: 'GET workspace' }
      : { method: 'GET', rest: '/teams', label: 'GET teams' },
};

/** The page's sample call for a connection, or undefined when its provider has none. */
export function sampleCallFor(connection: Pick<Connection, 'provider' | 'apiBaseUrl'>): SampleCall | undefined {
  return Object.hasOwn(SAMPLES, connection.provider) ? SAMPLES[connection.provider](connection) : undefined;
}
