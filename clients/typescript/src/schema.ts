/**
 * Types of every path, operation and schema of openapi.json (openapi-typescript).
 * Generated from openapi.json by clients/typescript/scripts/generate.mjs. Do not edit:
 * run `npm run client:generate` at the repository root after `npm run openapi`.
 */
export interface paths {
    "/api-keys": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * List API keys, newest first (never a key or its hash)
         * @description The keys of API_KEYS come first, as `env-1`, `env-2`, … with the admin scope.
         *
         *     Requires an API key with the `admin` scope.
         */
        get: operations["listApiKeys"];
        put?: never;
        /**
         * Create an API key with scopes
         * @description The answer holds the key itself, once: store it then. Only its SHA-256 is kept.
         *
         *     Requires an API key with the `admin` scope.
         */
        post: operations["createApiKey"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api-keys/{id}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        post?: never;
        /**
         * Revoke an API key
         * @description Every replica refuses the key within 5 seconds (this one at once). Keys of API_KEYS: 409.
         *
         *     Requires an API key with the `admin` scope.
         */
        delete: operations["revokeApiKey"];
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/connect-sessions": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * Create a one-time link that connects a user to a provider
         * @description Send the user’s browser to `url` (one provider: its authorize route; `providers`: a hosted page where the user picks one). After consent the browser lands on `returnUrl?status=connected&connectionId=…&provider=…&sessionId=…` (or `status=error&error=<code>&sessionId=…`: access_denied, invalid_state, session_expired, provider_mismatch, token_exchange_failed, identity_failed, internal_error, account_mismatch). Connecting the same provider account again updates the same connection; `reconnect` insists on it. `observeToken` lets a browser learn the outcome (GET /connect/observe/{sessionId}); GET /connect-sessions/{id} tells your backend.
         *
         *     Requires an API key with the `connections:write` scope (or `admin`).
         */
        post: operations["createConnectSession"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/connect-sessions/{id}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * How a connect session ended, or that it has not
         * @description So your backend can confirm what a browser reports. A session is kept a day after it expires, then 404.
         *
         *     Requires an API key with the `connections:read` scope (or `admin`).
         */
        get: operations["getConnectSession"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/connect/observe/{sessionId}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * Wait for a connect session to end (for the browser; proven by the observe token)
         * @description Long-poll: answers at once when the session is no longer `pending`, else when it ends or after `wait` seconds (then `pending`, or `expired`). No API key: the header `X-Observe-Token` (the session’s `observeToken`) is the proof; a wrong or missing token and an unknown session are the same 404 `not_found`. CORS: readable from the origins of ALLOWED_RETURN_URLS only. Rate-limited per client like /oauth/*.
         */
        get: operations["observeConnectSession"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/connections": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * List connections, newest first, with keyset pagination
         * @description Requires an API key with the `connections:read` scope (or `admin`).
         */
        get: operations["listConnections"];
        put?: never;
        /**
         * Import an existing token pair
         * @description Stores tokens obtained outside a browser flow, such as a Keap "Generate API Token" pair. Importing the same (provider, ownerId, accountId) again replaces the tokens of that connection (200) instead of creating a new one (201).
         *
         *     Requires an API key with the `connections:write` scope (or `admin`).
         */
        post: operations["importConnection"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/connections/{id}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * Get one connection (never its tokens)
         * @description Requires an API key with the `connections:read` scope (or `admin`).
         */
        get: operations["getConnection"];
        put?: never;
        post?: never;
        /**
         * Delete a connection, revoking it at the provider where possible
         * @description Requires an API key with the `connections:write` scope (or `admin`).
         */
        delete: operations["deleteConnection"];
        options?: never;
        head?: never;
        /**
         * Replace a connection's metadata
         * @description Requires an API key with the `connections:write` scope (or `admin`).
         */
        patch: operations["updateConnection"];
        trace?: never;
    };
    "/connections/{id}/activity": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * A connection's activity, newest first, with keyset pagination
         * @description What happened to the connection: connected, reconnected, refreshes and whoami checks (with the service’s failure code), status changes, uninstall, subscriptions, inbound events (their type), proxy calls per hour by status class, deleted. Kept ACTIVITY_RETENTION_DAYS (30), also after the connection is deleted. Never a token, payload or provider text.
         *
         *     Requires an API key with the `connections:read` scope (or `admin`).
         */
        get: operations["listConnectionActivity"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/connections/{id}/credentials": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * Get a valid access token for a connection
         * @description Returns the decrypted access token, refreshed first when it expires within CREDENTIALS_SKEW_SECONDS (or with forceRefresh=true; with staleVersion too, only while the stored tokens are still that version). Never the refresh token. Responses carry Cache-Control: no-store. A still-valid token is served even when its refresh failed; 502 provider_unavailable only when it has expired.
         *
         *     Requires an API key with the `credentials:read` scope (or `admin`).
         */
        get: operations["getConnectionCredentials"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/connections/{id}/refresh": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * Refresh the tokens now
         * @description One refresh across all replicas; concurrent calls share it. The refresh token never leaves the service.
         *
         *     Requires an API key with the `connections:write` scope (or `admin`).
         */
        post: operations["refreshConnection"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/connections/{id}/subscriptions": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * A connection's subscriptions, oldest first
         * @description Requires an API key with the `connections:read` scope (or `admin`).
         */
        get: operations["listSubscriptions"];
        put?: never;
        /**
         * Subscribe to the provider's events for this connection
         * @description Registers a webhook at the provider with the connection's token, to `{PUBLIC_URL}/events/{provider}/{token}`; its events arrive as the `provider.event` webhook. ClickFunnels 2.0: one outgoing endpoint; Lightfunnels: one webhook (exactly one event per subscription); Keap: one REST hook per event (`pending_verification` until its X-Hook-Secret handshake arrives); Webflow: one webhook per authorized site and event.
         *
         *     Requires an API key with the `connections:write` scope (or `admin`).
         */
        post: operations["createSubscription"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/connections/{id}/subscriptions/{subscriptionId}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        post?: never;
        /**
         * Unsubscribe: remove the webhook at the provider, then the subscription
         * @description When the provider fails (502) the subscription stays, so the call can be retried. A revoked connection has no token to call the provider with: only the subscription is deleted (removedAtProvider false).
         *
         *     Requires an API key with the `connections:write` scope (or `admin`).
         */
        delete: operations["deleteSubscription"];
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/connections/{id}/verify": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * Check the token with the provider’s whoami call
         * @description A 401 from the provider marks the connection needs_reauth. A revoked connection (uninstalled at the provider) has no token to check: 409 connection_revoked.
         *
         *     Requires an API key with the `connections:write` scope (or `admin`).
         */
        post: operations["verifyConnection"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/health/live": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * The process is up (no dependencies checked)
         * @description For a liveness probe: 200 while the process serves requests. No API key.
         */
        get: operations["getLiveness"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/health/ready": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * The service can serve requests: the database answers
         * @description For a readiness probe: 200 when the database answers within 3 s, else 503. No API key.
         */
        get: operations["getReadiness"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/providers": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * List the configured providers and what each supports
         * @description Requires an API key with the `connections:read` scope (or `admin`).
         */
        get: operations["listProviders"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/proxy/{connectionId}/{path}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * GET on the connection's provider API, with its token
         * @description Calls `{API base}/{path}?{query}` of the connection's provider, where the API base is the provider's (or ClickFunnels 2.0's workspace) and the token is the connection's: the caller never sees it.
         *
         *     The answer is the provider's, streamed as it is (status, body, headers but cookies, hop-by-hop and caching headers), marked `Proxy-Status: oauth-connections; received-status=<status>`; answers of the service itself are ErrorResponse without that header. Every answer carries `Cache-Control: private, no-store` and `Vary: Authorization` (the provider's `ETag` and `Last-Modified` stay, for conditional requests).
         *
         *     On a 401 the token is renewed once (refresh, or a whoami check for tokens that do not expire) and the call replayed; a connection whose token was renewed within PROXY_RENEW_MIN_INTERVAL_SECONDS (30 s) is not renewed again: its 401 comes back as it is. 429 and 5xx come back as they are; `Proxy-Retries: 1–5` retries idempotent calls (GET, HEAD, PUT, DELETE, or any with Idempotency-Key), honouring Retry-After, 30 s at most. Redirects are not followed.
         *
         *     Requires an API key with the `proxy` scope (or `admin`).
         */
        get: operations["proxyGet"];
        /**
         * PUT on the connection's provider API, with its token
         * @description Calls `{API base}/{path}?{query}` of the connection's provider, where the API base is the provider's (or ClickFunnels 2.0's workspace) and the token is the connection's: the caller never sees it.
         *
         *     The answer is the provider's, streamed as it is (status, body, headers but cookies, hop-by-hop and caching headers), marked `Proxy-Status: oauth-connections; received-status=<status>`; answers of the service itself are ErrorResponse without that header. Every answer carries `Cache-Control: private, no-store` and `Vary: Authorization` (the provider's `ETag` and `Last-Modified` stay, for conditional requests).
         *
         *     On a 401 the token is renewed once (refresh, or a whoami check for tokens that do not expire) and the call replayed; a connection whose token was renewed within PROXY_RENEW_MIN_INTERVAL_SECONDS (30 s) is not renewed again: its 401 comes back as it is. 429 and 5xx come back as they are; `Proxy-Retries: 1–5` retries idempotent calls (GET, HEAD, PUT, DELETE, or any with Idempotency-Key), honouring Retry-After, 30 s at most. Redirects are not followed.
         *
         *     Requires an API key with the `proxy` scope (or `admin`).
         */
        put: operations["proxyPut"];
        /**
         * POST on the connection's provider API, with its token
         * @description Calls `{API base}/{path}?{query}` of the connection's provider, where the API base is the provider's (or ClickFunnels 2.0's workspace) and the token is the connection's: the caller never sees it.
         *
         *     The answer is the provider's, streamed as it is (status, body, headers but cookies, hop-by-hop and caching headers), marked `Proxy-Status: oauth-connections; received-status=<status>`; answers of the service itself are ErrorResponse without that header. Every answer carries `Cache-Control: private, no-store` and `Vary: Authorization` (the provider's `ETag` and `Last-Modified` stay, for conditional requests).
         *
         *     On a 401 the token is renewed once (refresh, or a whoami check for tokens that do not expire) and the call replayed; a connection whose token was renewed within PROXY_RENEW_MIN_INTERVAL_SECONDS (30 s) is not renewed again: its 401 comes back as it is. 429 and 5xx come back as they are; `Proxy-Retries: 1–5` retries idempotent calls (GET, HEAD, PUT, DELETE, or any with Idempotency-Key), honouring Retry-After, 30 s at most. Redirects are not followed.
         *
         *     Requires an API key with the `proxy` scope (or `admin`).
         */
        post: operations["proxyPost"];
        /**
         * DELETE on the connection's provider API, with its token
         * @description Calls `{API base}/{path}?{query}` of the connection's provider, where the API base is the provider's (or ClickFunnels 2.0's workspace) and the token is the connection's: the caller never sees it.
         *
         *     The answer is the provider's, streamed as it is (status, body, headers but cookies, hop-by-hop and caching headers), marked `Proxy-Status: oauth-connections; received-status=<status>`; answers of the service itself are ErrorResponse without that header. Every answer carries `Cache-Control: private, no-store` and `Vary: Authorization` (the provider's `ETag` and `Last-Modified` stay, for conditional requests).
         *
         *     On a 401 the token is renewed once (refresh, or a whoami check for tokens that do not expire) and the call replayed; a connection whose token was renewed within PROXY_RENEW_MIN_INTERVAL_SECONDS (30 s) is not renewed again: its 401 comes back as it is. 429 and 5xx come back as they are; `Proxy-Retries: 1–5` retries idempotent calls (GET, HEAD, PUT, DELETE, or any with Idempotency-Key), honouring Retry-After, 30 s at most. Redirects are not followed.
         *
         *     Requires an API key with the `proxy` scope (or `admin`).
         */
        delete: operations["proxyDelete"];
        options?: never;
        /**
         * HEAD on the connection's provider API, with its token
         * @description Calls `{API base}/{path}?{query}` of the connection's provider, where the API base is the provider's (or ClickFunnels 2.0's workspace) and the token is the connection's: the caller never sees it.
         *
         *     The answer is the provider's, streamed as it is (status, body, headers but cookies, hop-by-hop and caching headers), marked `Proxy-Status: oauth-connections; received-status=<status>`; answers of the service itself are ErrorResponse without that header. Every answer carries `Cache-Control: private, no-store` and `Vary: Authorization` (the provider's `ETag` and `Last-Modified` stay, for conditional requests).
         *
         *     On a 401 the token is renewed once (refresh, or a whoami check for tokens that do not expire) and the call replayed; a connection whose token was renewed within PROXY_RENEW_MIN_INTERVAL_SECONDS (30 s) is not renewed again: its 401 comes back as it is. 429 and 5xx come back as they are; `Proxy-Retries: 1–5` retries idempotent calls (GET, HEAD, PUT, DELETE, or any with Idempotency-Key), honouring Retry-After, 30 s at most. Redirects are not followed.
         *
         *     Requires an API key with the `proxy` scope (or `admin`).
         */
        head: operations["proxyHead"];
        /**
         * PATCH on the connection's provider API, with its token
         * @description Calls `{API base}/{path}?{query}` of the connection's provider, where the API base is the provider's (or ClickFunnels 2.0's workspace) and the token is the connection's: the caller never sees it.
         *
         *     The answer is the provider's, streamed as it is (status, body, headers but cookies, hop-by-hop and caching headers), marked `Proxy-Status: oauth-connections; received-status=<status>`; answers of the service itself are ErrorResponse without that header. Every answer carries `Cache-Control: private, no-store` and `Vary: Authorization` (the provider's `ETag` and `Last-Modified` stay, for conditional requests).
         *
         *     On a 401 the token is renewed once (refresh, or a whoami check for tokens that do not expire) and the call replayed; a connection whose token was renewed within PROXY_RENEW_MIN_INTERVAL_SECONDS (30 s) is not renewed again: its 401 comes back as it is. 429 and 5xx come back as they are; `Proxy-Retries: 1–5` retries idempotent calls (GET, HEAD, PUT, DELETE, or any with Idempotency-Key), honouring Retry-After, 30 s at most. Redirects are not followed.
         *
         *     Requires an API key with the `proxy` scope (or `admin`).
         */
        patch: operations["proxyPatch"];
        trace?: never;
    };
    "/webhook-deliveries": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * List outbound webhook deliveries, newest first
         * @description Requires an API key with the `webhooks` scope (or `admin`).
         */
        get: operations["listWebhookDeliveries"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/webhook-deliveries/{id}/redeliver": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * Send a delivery again (e.g. after it failed)
         * @description Requires an API key with the `webhooks` scope (or `admin`).
         */
        post: operations["redeliverWebhook"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
}
export interface webhooks {
    "connection.created": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * A connection was made
         * @description A browser flow or an import created a connection.
         *
         *     POSTed to WEBHOOK_URL with Standard Webhooks headers, signed with each WEBHOOK_SECRET. Delivery is at least once and not ordered: be idempotent on `webhook-id`.
         */
        post: operations["connectionCreatedWebhook"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "connection.deleted": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * A connection was deleted
         * @description `DELETE /connections/{id}` deleted the connection.
         *
         *     POSTed to WEBHOOK_URL with Standard Webhooks headers, signed with each WEBHOOK_SECRET. Delivery is at least once and not ordered: be idempotent on `webhook-id`.
         */
        post: operations["connectionDeletedWebhook"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "connection.needs_reauth": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * A connection needs its user to connect again
         * @description The status became `needs_reauth`: the user must connect again (`data.error` says why).
         *
         *     POSTed to WEBHOOK_URL with Standard Webhooks headers, signed with each WEBHOOK_SECRET. Delivery is at least once and not ordered: be idempotent on `webhook-id`.
         */
        post: operations["connectionNeedsReauthWebhook"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "connection.reconnected": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * A connection was made again
         * @description The same (provider, owner, account) was connected or imported again.
         *
         *     POSTed to WEBHOOK_URL with Standard Webhooks headers, signed with each WEBHOOK_SECRET. Delivery is at least once and not ordered: be idempotent on `webhook-id`.
         */
        post: operations["connectionReconnectedWebhook"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "connection.refresh_failed": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * A connection's refreshes keep failing
         * @description The status became `refresh_failed` (`data.error` says why).
         *
         *     POSTed to WEBHOOK_URL with Standard Webhooks headers, signed with each WEBHOOK_SECRET. Delivery is at least once and not ordered: be idempotent on `webhook-id`.
         */
        post: operations["connectionRefreshFailedWebhook"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "connection.revoked": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * The user uninstalled the app at the provider
         * @description The provider reported that the user uninstalled the app: the status became `revoked` and the tokens were deleted (`data.revokedAt`, `data.error.code` `uninstalled`).
         *
         *     POSTed to WEBHOOK_URL with Standard Webhooks headers, signed with each WEBHOOK_SECRET. Delivery is at least once and not ordered: be idempotent on `webhook-id`.
         */
        post: operations["connectionRevokedWebhook"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "provider.event": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * A provider's own event
         * @description A provider's own event (an order, a form submission, an uninstall…), proven and stored once, for a subscription's connection or an app-level delivery (docs/events.md).
         *
         *     POSTed to WEBHOOK_URL with Standard Webhooks headers, signed with each WEBHOOK_SECRET. Delivery is at least once and not ordered: be idempotent on `webhook-id`.
         */
        post: operations["providerEventWebhook"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
}
export interface components {
    schemas: {
        ActivityEntry: {
            /**
             * Format: date-time
             * @description When it happened (the database clock); for `proxy_calls` the start of the hour counted
             */
            at: string;
            /**
             * Format: int32
             * @description `proxy_calls`: how many
             * @example null
             */
            calls: number | null;
            /**
             * @description The service's code of the failure (`invalid_grant`, `unavailable`, `unauthorized`, `uninstalled`, …: as `lastError.code`); never the provider's text
             * @example invalid_grant
             */
            code: string | null;
            /**
             * @description `subscription_*`: the subscription's events; `inbound_event`: the event's type (never its payload)
             * @example null
             */
            events: string[] | null;
            /**
             * @description `status_changed`, `revoked`: the status before
             * @example active
             * @enum {string|null}
             */
            previousStatus: "active" | "refresh_failed" | "expired" | "needs_reauth" | "revoked" | null;
            /**
             * @description The connection's status after it (for `deleted`: when it was deleted); null for entries that do not change it
             * @example needs_reauth
             * @enum {string|null}
             */
            status: "active" | "refresh_failed" | "expired" | "needs_reauth" | "revoked" | null;
            /**
             * @description `proxy_calls`
             * @example null
             * @enum {string|null}
             */
            statusClass: "2xx" | "3xx" | "4xx" | "5xx" | null;
            /**
             * Format: uuid
             * @description `subscription_*`
             * @example null
             */
            subscriptionId: string | null;
            /**
             * @description `connected`, `reconnected`, `deleted`; `refreshed`, `refresh_failed` (code); `verified`, `verify_failed` (code): a whoami check; `status_changed` (previousStatus → status, code); `revoked`: the provider reported that the user uninstalled the app; `subscription_created`, `subscription_removed` (subscriptionId, events); `inbound_event` (events: its type); `proxy_calls`: the proxy calls of one hour (starting at `at`) the provider answered in `statusClass`, counted in `calls`
             * @example refresh_failed
             */
            type: components["schemas"]["ActivityType"];
        };
        ActivityPage: {
            data: components["schemas"]["ActivityEntry"][];
            /**
             * @description Pass as `cursor` for the next page; null on the last page
             * @example null
             */
            nextCursor: string | null;
        };
        /**
         * @description `connected`, `reconnected`, `deleted`; `refreshed`, `refresh_failed` (code); `verified`, `verify_failed` (code): a whoami check; `status_changed` (previousStatus → status, code); `revoked`: the provider reported that the user uninstalled the app; `subscription_created`, `subscription_removed` (subscriptionId, events); `inbound_event` (events: its type); `proxy_calls`: the proxy calls of one hour (starting at `at`) the provider answered in `statusClass`, counted in `calls`
         * @enum {string}
         */
        ActivityType: "connected" | "reconnected" | "refreshed" | "refresh_failed" | "verified" | "verify_failed" | "status_changed" | "revoked" | "subscription_created" | "subscription_removed" | "inbound_event" | "deleted" | "proxy_calls";
        ApiKey: {
            /**
             * Format: date-time
             * @description null for API_KEYS
             */
            createdAt: string | null;
            /**
             * @description A uuid, or env-1, env-2, … for API_KEYS
             * @example 5b0f3c8e-2d7a-4f4e-9d61-3a1c7e2b9f10
             */
            id: string;
            /**
             * Format: date-time
             * @description Written at most once a minute; null for API_KEYS and for keys never used
             */
            lastUsedAt: string | null;
            /** @example prometheus */
            name: string;
            /**
             * @description The first characters of the key, to tell keys apart (null for API_KEYS)
             * @example ock_Xb3kQ9
             */
            prefix: string | null;
            /** Format: date-time */
            revokedAt: string | null;
            /**
             * @example [
             *       "metrics"
             *     ]
             */
            scopes: components["schemas"]["ApiKeyScope"][];
            /**
             * @description `environment`: from API_KEYS (admin, revoked by removing it there)
             * @enum {string}
             */
            source: "api" | "environment";
        };
        ApiKeyList: {
            data: components["schemas"]["ApiKey"][];
        };
        /** @enum {string} */
        ApiKeyScope: "connections:read" | "connections:write" | "credentials:read" | "proxy" | "webhooks" | "metrics" | "admin";
        /**
         * @description Why the flow failed (the return URL’s `error`); `account_mismatch`: a reconnect came back with another provider account
         * @enum {string}
         */
        ConnectFlowError: "access_denied" | "invalid_state" | "session_expired" | "provider_mismatch" | "token_exchange_failed" | "identity_failed" | "internal_error" | "account_mismatch";
        ConnectSession: {
            /** Format: date-time */
            expiresAt: string;
            /** Format: uuid */
            id: string;
            /**
             * @description Read-only proof for this session’s observe channel (GET /connect/observe/{sessionId}, header X-Observe-Token): it tells the outcome, nothing else. Shown once; only its SHA-256 is stored. Hand it to the browser with `url` and `id`.
             * @example b2JzZXJ2ZS10b2tlbjogMzIgYnl0ZXMsIGV4YW1wbGU
             */
            observeToken: string;
            /**
             * @description The providers the link may connect
             * @example [
             *       "keap"
             *     ]
             */
            providers: string[];
            /**
             * Format: uri
             * @description One-time link to send the user to; valid 10 minutes. One provider: its authorize route; several: the hosted picker (`/connect`).
             * @example http://localhost:3000/oauth/keap/authorize?session=q3J0b2tlbi1vZi00My1jaGFyYWN0ZXJzLWV4YW1wbGU
             */
            url: string;
        };
        ConnectSessionState: {
            /**
             * Format: uuid
             * @description The connection made or updated (status connected)
             */
            connectionId?: string;
            /** @description Why the flow failed (the return URL’s `error`); `account_mismatch`: a reconnect came back with another provider account */
            error?: components["schemas"]["ConnectFlowError"];
            /** Format: date-time */
            expiresAt: string;
            /** Format: uuid */
            id: string;
            /** @description The provider of the flow, once known (several providers: the one the user picked) */
            provider?: string;
            /** @description `pending` until the flow ends; `connected` (with connectionId and provider) or `error` (with error) once it has; `expired` when it is pending and can no longer end (the link’s 10 minutes passed, and a flow started from it had its own 10 minutes) */
            status: components["schemas"]["ConnectSessionStatus"];
        };
        /**
         * @description `pending` until the flow ends; `connected` (with connectionId and provider) or `error` (with error) once it has; `expired` when it is pending and can no longer end (the link’s 10 minutes passed, and a flow started from it had its own 10 minutes)
         * @enum {string}
         */
        ConnectSessionStatus: "pending" | "connected" | "error" | "expired";
        Connection: {
            /**
             * @description The provider-side account ('default' when the provider has none)
             * @example ab123
             */
            accountId: string;
            /**
             * Format: uri
             * @description Base URL for API calls made with this connection
             * @example null
             */
            apiBaseUrl: string | null;
            /** Format: date-time */
            createdAt: string;
            /**
             * Format: date-time
             * @description When the access token expires; null = never
             */
            expiresAt: string | null;
            /**
             * @description Whether the service holds a refresh token (the token itself is never returned)
             * @example true
             */
            hasRefreshToken: boolean;
            /**
             * Format: uuid
             * @example 0b7e6f2c-3d4a-4c8e-9f1a-2b3c4d5e6f70
             */
            id: string;
            lastError: components["schemas"]["ConnectionError"] | null;
            /** Format: date-time */
            lastRefreshedAt: string | null;
            /**
             * Format: date-time
             * @description When the provider last accepted the access token in a whoami check (POST /connections/{id}/verify, the periodic check of tokens that do not expire, the proxy's check after a 401); null when no check has passed, or when the latest check failed (`lastError` says why)
             * @example null
             */
            lastVerifiedAt: string | null;
            /**
             * @example {
             *       "plan": "pro"
             *     }
             */
            metadata: {
                [key: string]: unknown;
            };
            /** Format: date-time */
            nextRefreshAt: string | null;
            /**
             * @description Your own user's id, as given when the connection was made
             * @example user_42
             */
            ownerId: string;
            /** @example keap */
            provider: string;
            /**
             * Format: int32
             * @description Consecutive failed refresh attempts
             * @example 0
             */
            refreshFailures: number;
            /** Format: date-time */
            refreshTokenExpiresAt: string | null;
            /**
             * Format: date-time
             * @description When the provider reported that the user uninstalled the app (status `revoked`); null otherwise
             * @example null
             */
            revokedAt: string | null;
            /**
             * @example [
             *       "full"
             *     ]
             */
            scopes: string[];
            /**
             * @description `revoked`: the user uninstalled the app at the provider; its tokens are deleted and a reconnect of the same account makes it `active` again
             * @example active
             */
            status: components["schemas"]["ConnectionStatus"];
            /** @example null */
            teamId: string | null;
            /** @example null */
            teamName: string | null;
            /** @example Bearer */
            tokenType: string;
            /** Format: date-time */
            updatedAt: string;
            /** @example null */
            workspaceId: string | null;
            /** @example null */
            workspaceName: string | null;
        };
        ConnectionError: {
            /** Format: date-time */
            at: string;
            /** @example provider_unavailable */
            code: string;
            /** @example Token endpoint answered 503 */
            message: string;
        };
        ConnectionEventData: {
            /** @example ab123 */
            accountId: string;
            /** Format: uuid */
            connectionId: string;
            error?: components["schemas"]["ConnectionEventError"];
            /** @example user_42 */
            ownerId: string;
            /** @example keap */
            provider: string;
            /**
             * Format: date-time
             * @description When the provider reported the uninstall; only while the connection is `revoked`
             */
            revokedAt?: string;
            status: components["schemas"]["ConnectionStatus"];
        };
        /** @description The connection's last error, on status changes (`needs_reauth`, `refresh_failed`, `revoked`) and deletes of a connection that has one */
        ConnectionEventError: {
            /** @example invalid_grant */
            code: string;
            /** @example Token endpoint answered 400 invalid_grant */
            message: string;
        };
        /** @description The body of the `connection.*` webhooks: who and what, never a token. */
        ConnectionEventWebhook: {
            data: components["schemas"]["ConnectionEventData"];
            /**
             * Format: date-time
             * @description When the event happened (the change was committed, or the provider event arrived)
             */
            timestamp: string;
            /** @enum {string} */
            type: "connection.created" | "connection.reconnected" | "connection.needs_reauth" | "connection.refresh_failed" | "connection.revoked" | "connection.deleted";
        };
        ConnectionList: {
            data: components["schemas"]["Connection"][];
            /**
             * @description Pass as `cursor` for the next page; null on the last page
             * @example null
             */
            nextCursor: string | null;
        };
        /** @enum {string} */
        ConnectionStatus: "active" | "refresh_failed" | "expired" | "needs_reauth" | "revoked";
        CreateApiKeyRequest: {
            /**
             * @description Unique among active keys; shown in logs and metrics. `env-1`, `env-2`, … name the API_KEYS keys.
             * @example prometheus
             */
            name: string;
            /**
             * @example [
             *       "metrics"
             *     ]
             */
            scopes: components["schemas"]["ApiKeyScope"][];
        };
        CreateConnectSessionRequest: {
            /** @description Stored on the connection (JSON object, at most 16 kB) */
            metadata?: {
                [key: string]: unknown;
            };
            /**
             * @description Your own user's id; the connection will carry it. Required unless `reconnect` is given.
             * @example user_42
             */
            ownerId?: string;
            /**
             * @description A provider listed by GET /providers. Give `provider` or `providers`, not both (with `reconnect`, neither is needed).
             * @example keap
             */
            provider?: string;
            /**
             * @description Several providers: the link opens a hosted page where the user picks one. A one-element list is the same as `provider`.
             * @example [
             *       "keap",
             *       "webflow"
             *     ]
             */
            providers?: string[];
            /** @description Reconnect this connection: the flow must come back with the same provider account (then it is updated in place, same id), else it ends with `account_mismatch` and the connection is left as it was. A `provider`, `providers` or `ownerId` given as well must be the connection’s. */
            reconnect?: components["schemas"]["ReconnectTarget"];
            /**
             * @description Where the browser lands after the flow, with ?status=connected&connectionId=…&provider=…&sessionId=… or ?status=error&error=<code>&sessionId=…. Must match ALLOWED_RETURN_URLS. Without it the flow ends on a small result page.
             * @example http://localhost:3000/connected
             */
            returnUrl?: string;
            /**
             * @description Scopes to request; default: the provider's default scopes (with several providers, those of the one the user picks)
             * @example [
             *       "full"
             *     ]
             */
            scopes?: string[];
        };
        CreateSubscriptionRequest: {
            /**
             * @description The provider's event names (GET /providers lists them). Lightfunnels: exactly one, its deliveries do not name their type.
             * @example [
             *       "contact.add"
             *     ]
             */
            events: string[];
        };
        CreatedApiKey: {
            /**
             * Format: date-time
             * @description null for API_KEYS
             */
            createdAt: string | null;
            /**
             * @description A uuid, or env-1, env-2, … for API_KEYS
             * @example 5b0f3c8e-2d7a-4f4e-9d61-3a1c7e2b9f10
             */
            id: string;
            /**
             * @description The key itself: shown this once, never again (only its SHA-256 is stored)
             * @example ock_Xb3kQ9vT0mB4c8yR1pL6sW2nE5hJ7gA9dF3kZ0qU1iO
             */
            key: string;
            /**
             * Format: date-time
             * @description Written at most once a minute; null for API_KEYS and for keys never used
             */
            lastUsedAt: string | null;
            /** @example prometheus */
            name: string;
            /**
             * @description The first characters of the key, to tell keys apart (null for API_KEYS)
             * @example ock_Xb3kQ9
             */
            prefix: string | null;
            /** Format: date-time */
            revokedAt: string | null;
            /**
             * @example [
             *       "metrics"
             *     ]
             */
            scopes: components["schemas"]["ApiKeyScope"][];
            /**
             * @description `environment`: from API_KEYS (admin, revoked by removing it there)
             * @enum {string}
             */
            source: "api" | "environment";
        };
        Credentials: {
            /**
             * @description A valid access token. Use it, do not store it.
             * @example KeapAT-xxxx
             */
            accessToken: string;
            /** @example default */
            accountId: string;
            /**
             * Format: uri
             * @example null
             */
            apiBaseUrl: string | null;
            /**
             * Format: date-time
             * @description null = does not expire
             */
            expiresAt: string | null;
            /**
             * @example [
             *       "full"
             *     ]
             */
            scopes: string[];
            /** @example Bearer */
            tokenType: string;
            /**
             * @description The version of these tokens (opaque; changes with every refresh and reconnect). When the provider refuses this access token, pass it back as `staleVersion` with `forceRefresh=true`: the service refreshes only while the stored tokens are still this version, so every caller holding a refused token causes one refresh in all
             * @example 7
             */
            version: string;
        };
        DeleteConnectionResponse: {
            /**
             * Format: uuid
             * @example 0b7e6f2c-3d4a-4c8e-9f1a-2b3c4d5e6f70
             */
            id: string;
            /**
             * @description Whether the provider revoked the token: revoked, failed (deleted here anyway; the revocation is queued and retried), unsupported by the provider, or queued (it waits until the connection's webhooks are unregistered at the provider)
             * @example unsupported
             */
            providerRevocation: components["schemas"]["ProviderRevocation"];
            subscriptions: components["schemas"]["DeletedConnectionSubscriptions"];
        };
        DeleteSubscriptionResponse: {
            /** Format: uuid */
            id: string;
            /**
             * @description True when the webhook was removed at the provider; false when there was nothing to call it with (a revoked connection, a provider no longer configured)
             * @example true
             */
            removedAtProvider: boolean;
        };
        DeletedConnectionSubscriptions: {
            /**
             * Format: int32
             * @description Registrations the provider could not remove now: queued and retried with the connection's token, whose revocation waits for them
             * @example 0
             */
            queued: number;
            /**
             * Format: int32
             * @description Webhook registrations removed at the provider during the DELETE (docs/events.md)
             * @example 1
             */
            removed: number;
        };
        /**
         * @description Stable machine-readable code
         * @enum {string}
         */
        ErrorCode: "validation_failed" | "invalid_json" | "payload_too_large" | "headers_too_large" | "request_timeout" | "unauthorized" | "insufficient_scope" | "route_not_found" | "not_found" | "invalid_signature" | "event_too_old" | "connection_not_found" | "connect_session_not_found" | "provider_not_configured" | "invalid_cursor" | "return_url_not_allowed" | "connection_needs_reauth" | "connection_revoked" | "refresh_not_supported" | "provider_unavailable" | "rate_limited" | "refresh_in_progress" | "verify_not_supported" | "events_not_supported" | "subscription_not_found" | "event_already_subscribed" | "webhook_delivery_not_found" | "api_key_not_found" | "api_key_from_environment" | "invalid_proxy_path" | "proxy_target_not_allowed" | "upstream_timeout" | "request_aborted" | "service_unavailable" | "internal_error";
        ErrorResponse: {
            /**
             * @description Stable machine-readable code
             * @example connection_not_found
             */
            code: components["schemas"]["ErrorCode"];
            /**
             * @description Human-readable explanation; never echoes secrets or request bodies
             * @example Connection 7d4f... does not exist
             */
            message: string;
            /**
             * @description Same value as the X-Request-Id response header
             * @example 3f1c2a9e-6b0d-4e8e-9a51-2b8f0c6d7e11
             */
            requestId: string;
            /**
             * @description With insufficient_scope: the scope the route needs
             * @example credentials:read
             */
            requiredScope?: string;
            /**
             * Format: int32
             * @description HTTP status, repeated for clients that only see the body
             * @example 404
             */
            statusCode: number;
        };
        ImportConnectionRequest: {
            /**
             * @description The access token (stored encrypted, never returned except by /credentials)
             * @example KeapAT-xxxx
             */
            accessToken: string;
            /** @description Provider-side account; one connection per (provider, ownerId, accountId). Default: `default` */
            accountId?: string;
            /**
             * Format: uri
             * @description Base URL for API calls made with this connection (http or https)
             */
            apiBaseUrl?: string;
            /**
             * Format: date-time
             * @description When the access token expires (give this or expiresIn, not both)
             */
            expiresAt?: string;
            /**
             * Format: int32
             * @description Seconds until the access token expires (give this or expiresAt, not both)
             * @example 86400
             */
            expiresIn?: number;
            metadata?: {
                [key: string]: unknown;
            };
            /** @example user_42 */
            ownerId: string;
            /** @example keap */
            provider: string;
            /**
             * @description The refresh token (stored encrypted, never returned)
             * @example KeapRT-xxxx
             */
            refreshToken?: string;
            /**
             * Format: date-time
             * @description When the refresh token expires; defaults to the provider's documented horizon
             */
            refreshTokenExpiresAt?: string;
            /**
             * @example [
             *       "full"
             *     ]
             */
            scopes?: string[];
            teamId?: string;
            teamName?: string;
            /** @description Default: `Bearer` */
            tokenType?: string;
            workspaceId?: string;
            workspaceName?: string;
        };
        ObservedSession: {
            /**
             * Format: uuid
             * @description The connection made or updated (status connected)
             */
            connectionId?: string;
            /** @description Why the flow failed (the return URL’s `error`); `account_mismatch`: a reconnect came back with another provider account */
            error?: components["schemas"]["ConnectFlowError"];
            /** @description The provider of the flow, once known */
            provider?: string;
            /** @description `pending` until the flow ends; `connected` (with connectionId and provider) or `error` (with error) once it has; `expired` when it is pending and can no longer end (the link’s 10 minutes passed, and a flow started from it had its own 10 minutes) */
            status: components["schemas"]["ConnectSessionStatus"];
        };
        Provider: {
            /**
             * @description Scopes requested when a connect session names none
             * @example [
             *       "full"
             *     ]
             */
            defaultScopes: string[];
            /** @example Keap (Infusionsoft) */
            displayName: string;
            /** @description The provider's own events (docs/events.md) */
            events: components["schemas"]["ProviderEventSupport"];
            /**
             * @description Name used in API paths and bodies
             * @example keap
             */
            name: string;
            /**
             * @description True when this provider is served by the built-in simulator (development only)
             * @example false
             */
            sandbox: boolean;
            supports: components["schemas"]["ProviderCapabilities"];
        };
        ProviderCapabilities: {
            /**
             * @description The authorize step uses PKCE (S256)
             * @example false
             */
            pkce: boolean;
            /**
             * @description Tokens can be refreshed (the service keeps them fresh)
             * @example true
             */
            refresh: boolean;
            /**
             * @description Tokens are revoked at the provider when a connection is deleted
             * @example false
             */
            revoke: boolean;
            /**
             * @description Tokens can be checked with a whoami call (POST /connections/{id}/verify, and periodically when they never expire)
             * @example true
             */
            verify: boolean;
        };
        ProviderEventData: {
            /**
             * Format: uuid
             * @description The subscription's connection; null for an app-level event whose account matches no connection
             */
            connectionId: string | null;
            /**
             * @description The provider's event name (`GET /providers` lists them); `unknown` when the delivery does not say
             * @example form_submission
             */
            event: string;
            /** @description The provider's own id of the event, where it sends one */
            eventId: string | null;
            /** @description The connection's owner; null with it */
            ownerId: string | null;
            /**
             * @description The provider's JSON as received (parsed and written again: whitespace and key order may differ). Any JSON value, in practice an object; from a body of at most EVENTS_MAX_BODY_BYTES (1 MB by default, at most 10 MB), nested at most 64 levels.
             * @example {
             *       "payload": {
             *         "siteId": "65f0c0ffee"
             *       },
             *       "triggerType": "form_submission"
             *     }
             */
            payload: unknown;
            /** @example webflow */
            provider: string;
            /**
             * Format: date-time
             * @description When the service received it
             */
            receivedAt: string;
            /**
             * Format: uuid
             * @description The subscription whose URL received it (POST /connections/{id}/subscriptions); null for app-level events
             */
            subscriptionId: string | null;
        };
        ProviderEventSupport: {
            /**
             * @description The event names a subscription (POST /connections/{id}/subscriptions) may ask for, the uninstall event included; empty when the provider has none (events_not_supported)
             * @example [
             *       "contact.add",
             *       "contact.edit"
             *     ]
             */
            names: string[];
            /**
             * @description A subscription takes exactly one event (Lightfunnels: its deliveries do not say which event they are)
             * @example false
             */
            oneEventPerSubscription: boolean;
            /**
             * @description The provider reports that a user uninstalled the app (the connection becomes revoked)
             * @example false
             */
            reportsUninstall: boolean;
            /**
             * @description The provider's uninstall event, or null
             * @example null
             */
            uninstallEvent: string | null;
        };
        /** @description The body of the `provider.event` webhook: a provider's event, tied to its connection. */
        ProviderEventWebhook: {
            data: components["schemas"]["ProviderEventData"];
            /**
             * Format: date-time
             * @description When the event happened (the change was committed, or the provider event arrived)
             */
            timestamp: string;
            /** @enum {string} */
            type: "provider.event";
        };
        ProviderList: {
            data: components["schemas"]["Provider"][];
        };
        /**
         * @description Whether the provider revoked the token: revoked, failed (deleted here anyway; the revocation is queued and retried), unsupported by the provider, or queued (it waits until the connection's webhooks are unregistered at the provider)
         * @enum {string}
         */
        ProviderRevocation: "revoked" | "failed" | "unsupported" | "queued";
        ReconnectTarget: {
            /**
             * Format: uuid
             * @description The connection to reconnect: its provider and owner are the session’s
             */
            connectionId: string;
        };
        Subscription: {
            /** Format: uuid */
            connectionId: string;
            /** Format: date-time */
            createdAt: string;
            /**
             * @example [
             *       "contact.add"
             *     ]
             */
            events: string[];
            /**
             * Format: uuid
             * @description Subscription id
             */
            id: string;
            /** @example keap */
            provider: string;
            /** @description `pending_verification`: registered, but the provider's handshake has not arrived yet (Keap's X-Hook-Secret) */
            status: components["schemas"]["SubscriptionStatus"];
        };
        SubscriptionList: {
            data: components["schemas"]["Subscription"][];
        };
        /**
         * @description `pending_verification`: registered, but the provider's handshake has not arrived yet (Keap's X-Hook-Secret)
         * @enum {string}
         */
        SubscriptionStatus: "active" | "pending_verification";
        UpdateConnectionRequest: {
            /**
             * @description Replaces the stored metadata (JSON object, at most 16 kB)
             * @example {
             *       "plan": "pro"
             *     }
             */
            metadata: {
                [key: string]: unknown;
            };
        };
        WebhookDelivery: {
            /**
             * Format: int32
             * @example 1
             */
            attempts: number;
            /** Format: uuid */
            connectionId: string | null;
            /** Format: date-time */
            createdAt: string;
            /** Format: date-time */
            deliveredAt: string | null;
            eventType: components["schemas"]["WebhookEventType"];
            /**
             * Format: uuid
             * @description Sent as webhook-id `msg_<id>`
             */
            id: string;
            lastError: string | null;
            /**
             * Format: int32
             * @description The receiver's last HTTP status
             */
            lastStatus: number | null;
            /** Format: date-time */
            nextAttemptAt: string;
            /** @description The body as sent: {type, timestamp, data} */
            payload: {
                [key: string]: unknown;
            };
            status: components["schemas"]["WebhookDeliveryStatus"];
        };
        WebhookDeliveryList: {
            data: components["schemas"]["WebhookDelivery"][];
            nextCursor: string | null;
        };
        /** @enum {string} */
        WebhookDeliveryStatus: "pending" | "delivered" | "failed";
        /** @enum {string} */
        WebhookEventType: "connection.created" | "connection.reconnected" | "connection.needs_reauth" | "connection.refresh_failed" | "connection.revoked" | "connection.deleted" | "provider.event";
    };
    responses: never;
    parameters: {
        /** @description The delivery, `msg_<delivery id>`: the same on every retry of one event, so a receiver drops duplicates by it (GET /webhook-deliveries lists the delivery id). */
        WebhookId: string;
        /** @description Standard Webhooks: `v1,<base64 HMAC-SHA256 of "<webhook-id>.<webhook-timestamp>.<raw body>">`, keyed with the bytes of a WEBHOOK_SECRET after `whsec_`; one per configured secret, space-separated (rotation). Verify against the raw body before parsing it (docs/operations.md "Verifying a webhook"). */
        WebhookSignature: string;
        /** @description Unix seconds of this attempt (signed): reject one more than a few minutes from your clock, to stop replays. */
        WebhookTimestamp: string;
    };
    requestBodies: never;
    headers: never;
    pathItems: never;
}
export type ActivityEntry = components['schemas']['ActivityEntry'];
export type ActivityPage = components['schemas']['ActivityPage'];
export type ActivityType = components['schemas']['ActivityType'];
export type ApiKey = components['schemas']['ApiKey'];
export type ApiKeyList = components['schemas']['ApiKeyList'];
export type ApiKeyScope = components['schemas']['ApiKeyScope'];
export type ConnectFlowError = components['schemas']['ConnectFlowError'];
export type ConnectSession = components['schemas']['ConnectSession'];
export type ConnectSessionState = components['schemas']['ConnectSessionState'];
export type ConnectSessionStatus = components['schemas']['ConnectSessionStatus'];
export type Connection = components['schemas']['Connection'];
export type ConnectionError = components['schemas']['ConnectionError'];
export type ConnectionEventData = components['schemas']['ConnectionEventData'];
export type ConnectionEventError = components['schemas']['ConnectionEventError'];
export type ConnectionEventWebhook = components['schemas']['ConnectionEventWebhook'];
export type ConnectionList = components['schemas']['ConnectionList'];
export type ConnectionStatus = components['schemas']['ConnectionStatus'];
export type CreateApiKeyRequest = components['schemas']['CreateApiKeyRequest'];
export type CreateConnectSessionRequest = components['schemas']['CreateConnectSessionRequest'];
export type CreateSubscriptionRequest = components['schemas']['CreateSubscriptionRequest'];
export type CreatedApiKey = components['schemas']['CreatedApiKey'];
export type Credentials = components['schemas']['Credentials'];
export type DeleteConnectionResponse = components['schemas']['DeleteConnectionResponse'];
export type DeleteSubscriptionResponse = components['schemas']['DeleteSubscriptionResponse'];
export type DeletedConnectionSubscriptions = components['schemas']['DeletedConnectionSubscriptions'];
export type ErrorCode = components['schemas']['ErrorCode'];
export type ErrorResponse = components['schemas']['ErrorResponse'];
export type ImportConnectionRequest = components['schemas']['ImportConnectionRequest'];
export type ObservedSession = components['schemas']['ObservedSession'];
export type Provider = components['schemas']['Provider'];
export type ProviderCapabilities = components['schemas']['ProviderCapabilities'];
export type ProviderEventData = components['schemas']['ProviderEventData'];
export type ProviderEventSupport = components['schemas']['ProviderEventSupport'];
export type ProviderEventWebhook = components['schemas']['ProviderEventWebhook'];
export type ProviderList = components['schemas']['ProviderList'];
export type ProviderRevocation = components['schemas']['ProviderRevocation'];
export type ReconnectTarget = components['schemas']['ReconnectTarget'];
export type Subscription = components['schemas']['Subscription'];
export type SubscriptionList = components['schemas']['SubscriptionList'];
export type SubscriptionStatus = components['schemas']['SubscriptionStatus'];
export type UpdateConnectionRequest = components['schemas']['UpdateConnectionRequest'];
export type WebhookDelivery = components['schemas']['WebhookDelivery'];
export type WebhookDeliveryList = components['schemas']['WebhookDeliveryList'];
export type WebhookDeliveryStatus = components['schemas']['WebhookDeliveryStatus'];
export type WebhookEventType = components['schemas']['WebhookEventType'];
export type ParameterWebhookId = components['parameters']['WebhookId'];
export type ParameterWebhookSignature = components['parameters']['WebhookSignature'];
export type ParameterWebhookTimestamp = components['parameters']['WebhookTimestamp'];
export type $defs = Record<string, never>;
export interface operations {
    listApiKeys: {
        parameters: {
            query?: {
                /** @description Also list revoked keys */
                includeRevoked?: "true" | "false";
            };
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ApiKeyList"];
                };
            };
            /** @description Invalid input */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "code": "validation_failed",
                     *       "message": "limit must not be greater than 100",
                     *       "requestId": "3f1c2a9e-6b0d-4e8e-9a51-2b8f0c6d7e11",
                     *       "statusCode": 400
                     *     }
                     */
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Missing, unknown, malformed or revoked API key */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "code": "unauthorized",
                     *       "message": "A valid API key is required: Authorization: Bearer <key>",
                     *       "requestId": "3f1c2a9e-6b0d-4e8e-9a51-2b8f0c6d7e11",
                     *       "statusCode": 401
                     *     }
                     */
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description The API key does not have the `admin` scope */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "code": "insufficient_scope",
                     *       "message": "This API key does not have the scope this route needs: admin",
                     *       "requestId": "3f1c2a9e-6b0d-4e8e-9a51-2b8f0c6d7e11",
                     *       "requiredScope": "admin",
                     *       "statusCode": 403
                     *     }
                     */
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
        };
    };
    createApiKey: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["CreateApiKeyRequest"];
            };
        };
        responses: {
            201: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["CreatedApiKey"];
                };
            };
            /** @description Invalid input */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "code": "validation_failed",
                     *       "message": "limit must not be greater than 100",
                     *       "requestId": "3f1c2a9e-6b0d-4e8e-9a51-2b8f0c6d7e11",
                     *       "statusCode": 400
                     *     }
                     */
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Missing, unknown, malformed or revoked API key */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "code": "unauthorized",
                     *       "message": "A valid API key is required: Authorization: Bearer <key>",
                     *       "requestId": "3f1c2a9e-6b0d-4e8e-9a51-2b8f0c6d7e11",
                     *       "statusCode": 401
                     *     }
                     */
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description The API key does not have the `admin` scope */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "code": "insufficient_scope",
                     *       "message": "This API key does not have the scope this route needs: admin",
                     *       "requestId": "3f1c2a9e-6b0d-4e8e-9a51-2b8f0c6d7e11",
                     *       "requiredScope": "admin",
                     *       "statusCode": 403
                     *     }
                     */
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Body over 100 kB */
            413: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "code": "payload_too_large",
                     *       "message": "The request body is larger than the 100 kB limit",
                     *       "requestId": "3f1c2a9e-6b0d-4e8e-9a51-2b8f0c6d7e11",
                     *       "statusCode": 413
                     *     }
                     */
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
        };
    };
    revokeApiKey: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /** @description The key id: a uuid, or env-<n> for API_KEYS */
                id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ApiKey"];
                };
            };
            /** @description Invalid input */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "code": "validation_failed",
                     *       "message": "limit must not be greater than 100",
                     *       "requestId": "3f1c2a9e-6b0d-4e8e-9a51-2b8f0c6d7e11",
                     *       "statusCode": 400
                     *     }
                     */
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Missing, unknown, malformed or revoked API key */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "code": "unauthorized",
                     *       "message": "A valid API key is required: Authorization: Bearer <key>",
                     *       "requestId": "3f1c2a9e-6b0d-4e8e-9a51-2b8f0c6d7e11",
                     *       "statusCode": 401
                     *     }
                     */
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description The API key does not have the `admin` scope */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "code": "insufficient_scope",
                     *       "message": "This API key does not have the scope this route needs: admin",
                     *       "requestId": "3f1c2a9e-6b0d-4e8e-9a51-2b8f0c6d7e11",
                     *       "requiredScope": "admin",
                     *       "statusCode": 403
                     *     }
                     */
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description No active key with this id */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "code": "api_key_not_found",
                     *       "message": "No active API key has the id 5b0f...",
                     *       "requestId": "3f1c2a9e-6b0d-4e8e-9a51-2b8f0c6d7e11",
                     *       "statusCode": 404
                     *     }
                     */
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description A key of API_KEYS: revoked by removing it there */
            409: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "code": "api_key_from_environment",
                     *       "message": "env-1 comes from API_KEYS: remove it there and restart the service to revoke it",
                     *       "requestId": "3f1c2a9e-6b0d-4e8e-9a51-2b8f0c6d7e11",
                     *       "statusCode": 409
                     *     }
                     */
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
        };
    };
    createConnectSession: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["CreateConnectSessionRequest"];
            };
        };
        responses: {
            201: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ConnectSession"];
                };
            };
            /** @description Invalid input */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "code": "validation_failed",
                     *       "message": "limit must not be greater than 100",
                     *       "requestId": "3f1c2a9e-6b0d-4e8e-9a51-2b8f0c6d7e11",
                     *       "statusCode": 400
                     *     }
                     */
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Missing, unknown, malformed or revoked API key */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "code": "unauthorized",
                     *       "message": "A valid API key is required: Authorization: Bearer <key>",
                     *       "requestId": "3f1c2a9e-6b0d-4e8e-9a51-2b8f0c6d7e11",
                     *       "statusCode": 401
                     *     }
                     */
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description The API key does not have the `connections:write` scope */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "code": "insufficient_scope",
                     *       "message": "This API key does not have the scope this route needs: connections:write",
                     *       "requestId": "3f1c2a9e-6b0d-4e8e-9a51-2b8f0c6d7e11",
                     *       "requiredScope": "connections:write",
                     *       "statusCode": 403
                     *     }
                     */
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description reconnect.connectionId names no connection */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "code": "connection_not_found",
                     *       "message": "Connection 0b7e... does not exist",
                     *       "requestId": "3f1c2a9e-6b0d-4e8e-9a51-2b8f0c6d7e11",
                     *       "statusCode": 404
                     *     }
                     */
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Body over 100 kB */
            413: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "code": "payload_too_large",
                     *       "message": "The request body is larger than the 100 kB limit",
                     *       "requestId": "3f1c2a9e-6b0d-4e8e-9a51-2b8f0c6d7e11",
                     *       "statusCode": 413
                     *     }
                     */
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
        };
    };
    getConnectSession: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ConnectSessionState"];
                };
            };
            /** @description Invalid input */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "code": "validation_failed",
                     *       "message": "limit must not be greater than 100",
                     *       "requestId": "3f1c2a9e-6b0d-4e8e-9a51-2b8f0c6d7e11",
                     *       "statusCode": 400
                     *     }
                     */
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Missing, unknown, malformed or revoked API key */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "code": "unauthorized",
                     *       "message": "A valid API key is required: Authorization: Bearer <key>",
                     *       "requestId": "3f1c2a9e-6b0d-4e8e-9a51-2b8f0c6d7e11",
                     *       "statusCode": 401
                     *     }
                     */
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description The API key does not have the `connections:read` scope */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "code": "insufficient_scope",
                     *       "message": "This API key does not have the scope this route needs: connections:read",
                     *       "requestId": "3f1c2a9e-6b0d-4e8e-9a51-2b8f0c6d7e11",
                     *       "requiredScope": "connections:read",
                     *       "statusCode": 403
                     *     }
                     */
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description No connect session with this id */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "code": "connect_session_not_found",
                     *       "message": "Connect session 0b7e... does not exist (or was purged a day after it expired)",
                     *       "requestId": "3f1c2a9e-6b0d-4e8e-9a51-2b8f0c6d7e11",
                     *       "statusCode": 404
                     *     }
                     */
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
        };
    };
    observeConnectSession: {
        parameters: {
            query?: {
                /** @description How long to wait for the end, in seconds */
                wait?: number;
            };
            header: {
                /** @description The session’s observeToken */
                "X-Observe-Token": string;
            };
            path: {
                /** @description The connect session’s id */
                sessionId: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ObservedSession"];
                };
            };
            /** @description `wait` is not an integer from 0 to 25 */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "code": "validation_failed",
                     *       "message": "wait must be an integer from 0 to 25",
                     *       "requestId": "3f1c2a9e-6b0d-4e8e-9a51-2b8f0c6d7e11",
                     *       "statusCode": 400
                     *     }
                     */
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description No such session, or not this observe token */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "code": "not_found",
                     *       "message": "No connect session with this id and observe token",
                     *       "requestId": "3f1c2a9e-6b0d-4e8e-9a51-2b8f0c6d7e11",
                     *       "statusCode": 404
                     *     }
                     */
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
        };
    };
    listConnections: {
        parameters: {
            query?: {
                limit?: number;
                /** @description Opaque cursor from a previous page’s nextCursor */
                cursor?: string;
                provider?: string;
                ownerId?: string;
                status?: components["schemas"]["ConnectionStatus"];
            };
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ConnectionList"];
                };
            };
            /** @description Invalid input */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "code": "validation_failed",
                     *       "message": "limit must not be greater than 100",
                     *       "requestId": "3f1c2a9e-6b0d-4e8e-9a51-2b8f0c6d7e11",
                     *       "statusCode": 400
                     *     }
                     */
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Missing, unknown, malformed or revoked API key */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "code": "unauthorized",
                     *       "message": "A valid API key is required: Authorization: Bearer <key>",
                     *       "requestId": "3f1c2a9e-6b0d-4e8e-9a51-2b8f0c6d7e11",
                     *       "statusCode": 401
                     *     }
                     */
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description The API key does not have the `connections:read` scope */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "code": "insufficient_scope",
                     *       "message": "This API key does not have the scope this route needs: connections:read",
                     *       "requestId": "3f1c2a9e-6b0d-4e8e-9a51-2b8f0c6d7e11",
                     *       "requiredScope": "connections:read",
                     *       "statusCode": 403
                     *     }
                     */
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
        };
    };
    importConnection: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["ImportConnectionRequest"];
            };
        };
        responses: {
            /** @description The existing connection for this account was updated */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Connection"];
                };
            };
            /** @description A new connection was created */
            201: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Connection"];
                };
            };
            /** @description Invalid input */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "code": "validation_failed",
                     *       "message": "limit must not be greater than 100",
                     *       "requestId": "3f1c2a9e-6b0d-4e8e-9a51-2b8f0c6d7e11",
                     *       "statusCode": 400
                     *     }
                     */
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Missing, unknown, malformed or revoked API key */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "code": "unauthorized",
                     *       "message": "A valid API key is required: Authorization: Bearer <key>",
                     *       "requestId": "3f1c2a9e-6b0d-4e8e-9a51-2b8f0c6d7e11",
                     *       "statusCode": 401
                     *     }
                     */
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description The API key does not have the `connections:write` scope */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "code": "insufficient_scope",
                     *       "message": "This API key does not have the scope this route needs: connections:write",
                     *       "requestId": "3f1c2a9e-6b0d-4e8e-9a51-2b8f0c6d7e11",
                     *       "requiredScope": "connections:write",
                     *       "statusCode": 403
                     *     }
                     */
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Body over 100 kB */
            413: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "code": "payload_too_large",
                     *       "message": "The request body is larger than the 100 kB limit",
                     *       "requestId": "3f1c2a9e-6b0d-4e8e-9a51-2b8f0c6d7e11",
                     *       "statusCode": 413
                     *     }
                     */
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
        };
    };
    getConnection: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /** @description Connection id */
                id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Connection"];
                };
            };
            /** @description Invalid input */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "code": "validation_failed",
                     *       "message": "limit must not be greater than 100",
                     *       "requestId": "3f1c2a9e-6b0d-4e8e-9a51-2b8f0c6d7e11",
                     *       "statusCode": 400
                     *     }
                     */
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Missing, unknown, malformed or revoked API key */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "code": "unauthorized",
                     *       "message": "A valid API key is required: Authorization: Bearer <key>",
                     *       "requestId": "3f1c2a9e-6b0d-4e8e-9a51-2b8f0c6d7e11",
                     *       "statusCode": 401
                     *     }
                     */
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description The API key does not have the `connections:read` scope */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "code": "insufficient_scope",
                     *       "message": "This API key does not have the scope this route needs: connections:read",
                     *       "requestId": "3f1c2a9e-6b0d-4e8e-9a51-2b8f0c6d7e11",
                     *       "requiredScope": "connections:read",
                     *       "statusCode": 403
                     *     }
                     */
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description No connection with this id */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "code": "connection_not_found",
                     *       "message": "Connection 0b7e... does not exist",
                     *       "requestId": "3f1c2a9e-6b0d-4e8e-9a51-2b8f0c6d7e11",
                     *       "statusCode": 404
                     *     }
                     */
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
        };
    };
    deleteConnection: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /** @description Connection id */
                id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["DeleteConnectionResponse"];
                };
            };
            /** @description Invalid input */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "code": "validation_failed",
                     *       "message": "limit must not be greater than 100",
                     *       "requestId": "3f1c2a9e-6b0d-4e8e-9a51-2b8f0c6d7e11",
                     *       "statusCode": 400
                     *     }
                     */
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Missing, unknown, malformed or revoked API key */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "code": "unauthorized",
                     *       "message": "A valid API key is required: Authorization: Bearer <key>",
                     *       "requestId": "3f1c2a9e-6b0d-4e8e-9a51-2b8f0c6d7e11",
                     *       "statusCode": 401
                     *     }
                     */
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description The API key does not have the `connections:write` scope */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "code": "insufficient_scope",
                     *       "message": "This API key does not have the scope this route needs: connections:write",
                     *       "requestId": "3f1c2a9e-6b0d-4e8e-9a51-2b8f0c6d7e11",
                     *       "requiredScope": "connections:write",
                     *       "statusCode": 403
                     *     }
                     */
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description No connection with this id */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "code": "connection_not_found",
                     *       "message": "Connection 0b7e... does not exist",
                     *       "requestId": "3f1c2a9e-6b0d-4e8e-9a51-2b8f0c6d7e11",
                     *       "statusCode": 404
                     *     }
                     */
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
        };
    };
    updateConnection: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /** @description Connection id */
                id: string;
            };
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["UpdateConnectionRequest"];
            };
        };
        responses: {
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Connection"];
                };
            };
            /** @description Invalid input */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "code": "validation_failed",
                     *       "message": "limit must not be greater than 100",
                     *       "requestId": "3f1c2a9e-6b0d-4e8e-9a51-2b8f0c6d7e11",
                     *       "statusCode": 400
                     *     }
                     */
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Missing, unknown, malformed or revoked API key */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "code": "unauthorized",
                     *       "message": "A valid API key is required: Authorization: Bearer <key>",
                     *       "requestId": "3f1c2a9e-6b0d-4e8e-9a51-2b8f0c6d7e11",
                     *       "statusCode": 401
                     *     }
                     */
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description The API key does not have the `connections:write` scope */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "code": "insufficient_scope",
                     *       "message": "This API key does not have the scope this route needs: connections:write",
                     *       "requestId": "3f1c2a9e-6b0d-4e8e-9a51-2b8f0c6d7e11",
                     *       "requiredScope": "connections:write",
                     *       "statusCode": 403
                     *     }
                     */
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description No connection with this id */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "code": "connection_not_found",
                     *       "message": "Connection 0b7e... does not exist",
                     *       "requestId": "3f1c2a9e-6b0d-4e8e-9a51-2b8f0c6d7e11",
                     *       "statusCode": 404
                     *     }
                     */
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Body over 100 kB */
            413: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "code": "payload_too_large",
                     *       "message": "The request body is larger than the 100 kB limit",
                     *       "requestId": "3f1c2a9e-6b0d-4e8e-9a51-2b8f0c6d7e11",
                     *       "statusCode": 413
                     *     }
                     */
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
        };
    };
    listConnectionActivity: {
        parameters: {
            query?: {
                limit?: number;
                /** @description Opaque cursor from a previous page’s nextCursor */
                cursor?: string;
            };
            header?: never;
            path: {
                /** @description Connection id */
                id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ActivityPage"];
                };
            };
            /** @description Invalid input */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "code": "validation_failed",
                     *       "message": "limit must not be greater than 100",
                     *       "requestId": "3f1c2a9e-6b0d-4e8e-9a51-2b8f0c6d7e11",
                     *       "statusCode": 400
                     *     }
                     */
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Missing, unknown, malformed or revoked API key */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "code": "unauthorized",
                     *       "message": "A valid API key is required: Authorization: Bearer <key>",
                     *       "requestId": "3f1c2a9e-6b0d-4e8e-9a51-2b8f0c6d7e11",
                     *       "statusCode": 401
                     *     }
                     */
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description The API key does not have the `connections:read` scope */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "code": "insufficient_scope",
                     *       "message": "This API key does not have the scope this route needs: connections:read",
                     *       "requestId": "3f1c2a9e-6b0d-4e8e-9a51-2b8f0c6d7e11",
                     *       "requiredScope": "connections:read",
                     *       "statusCode": 403
                     *     }
                     */
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description No connection with this id, and no activity kept for one (a deleted connection’s activity is answered until it is older than ACTIVITY_RETENTION_DAYS) */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "code": "connection_not_found",
                     *       "message": "Connection 0b7e... does not exist",
                     *       "requestId": "3f1c2a9e-6b0d-4e8e-9a51-2b8f0c6d7e11",
                     *       "statusCode": 404
                     *     }
                     */
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
        };
    };
    getConnectionCredentials: {
        parameters: {
            query?: {
                /** @description Refresh first, unless a refresh finished after this request began (then that result is returned) */
                forceRefresh?: boolean;
                /** @description The `version` of the credentials the provider refused (implies forceRefresh=true). The tokens are refreshed only while they are still that version; newer ones are returned at once. However spread out in time the callers holding one refused token are, that is one refresh */
                staleVersion?: string;
            };
            header?: never;
            path: {
                /** @description Connection id */
                id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Credentials"];
                };
            };
            /** @description Invalid input */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "code": "validation_failed",
                     *       "message": "limit must not be greater than 100",
                     *       "requestId": "3f1c2a9e-6b0d-4e8e-9a51-2b8f0c6d7e11",
                     *       "statusCode": 400
                     *     }
                     */
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Missing, unknown, malformed or revoked API key */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "code": "unauthorized",
                     *       "message": "A valid API key is required: Authorization: Bearer <key>",
                     *       "requestId": "3f1c2a9e-6b0d-4e8e-9a51-2b8f0c6d7e11",
                     *       "statusCode": 401
                     *     }
                     */
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description The API key does not have the `credentials:read` scope */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "code": "insufficient_scope",
                     *       "message": "This API key does not have the scope this route needs: credentials:read",
                     *       "requestId": "3f1c2a9e-6b0d-4e8e-9a51-2b8f0c6d7e11",
                     *       "requiredScope": "credentials:read",
                     *       "statusCode": 403
                     *     }
                     */
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description No connection with this id */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "code": "connection_not_found",
                     *       "message": "Connection 0b7e... does not exist",
                     *       "requestId": "3f1c2a9e-6b0d-4e8e-9a51-2b8f0c6d7e11",
                     *       "statusCode": 404
                     *     }
                     */
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description The user must reconnect (connection_needs_reauth; connection_revoked: they uninstalled the app) */
            409: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "code": "connection_needs_reauth",
                     *       "message": "Connection 0b7e... must be reconnected by its user through a new connect session",
                     *       "requestId": "3f1c2a9e-6b0d-4e8e-9a51-2b8f0c6d7e11",
                     *       "statusCode": 409
                     *     }
                     */
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description The provider's refresh budget is used up (Retry-After) */
            429: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "code": "rate_limited",
                     *       "message": "The refresh budget for this provider is used up; retry shortly",
                     *       "requestId": "3f1c2a9e-6b0d-4e8e-9a51-2b8f0c6d7e11",
                     *       "statusCode": 429
                     *     }
                     */
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description The provider failed (Retry-After when it said so) */
            502: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "code": "provider_unavailable",
                     *       "message": "The provider could not be reached or refused the refresh: unavailable",
                     *       "requestId": "3f1c2a9e-6b0d-4e8e-9a51-2b8f0c6d7e11",
                     *       "statusCode": 502
                     *     }
                     */
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Another replica is refreshing (Retry-After) */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "code": "refresh_in_progress",
                     *       "message": "Another replica is refreshing this connection; retry shortly",
                     *       "requestId": "3f1c2a9e-6b0d-4e8e-9a51-2b8f0c6d7e11",
                     *       "statusCode": 503
                     *     }
                     */
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
        };
    };
    refreshConnection: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /** @description Connection id */
                id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Connection"];
                };
            };
            /** @description Invalid input */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "code": "validation_failed",
                     *       "message": "limit must not be greater than 100",
                     *       "requestId": "3f1c2a9e-6b0d-4e8e-9a51-2b8f0c6d7e11",
                     *       "statusCode": 400
                     *     }
                     */
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Missing, unknown, malformed or revoked API key */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "code": "unauthorized",
                     *       "message": "A valid API key is required: Authorization: Bearer <key>",
                     *       "requestId": "3f1c2a9e-6b0d-4e8e-9a51-2b8f0c6d7e11",
                     *       "statusCode": 401
                     *     }
                     */
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description The API key does not have the `connections:write` scope */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "code": "insufficient_scope",
                     *       "message": "This API key does not have the scope this route needs: connections:write",
                     *       "requestId": "3f1c2a9e-6b0d-4e8e-9a51-2b8f0c6d7e11",
                     *       "requiredScope": "connections:write",
                     *       "statusCode": 403
                     *     }
                     */
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description No connection with this id */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "code": "connection_not_found",
                     *       "message": "Connection 0b7e... does not exist",
                     *       "requestId": "3f1c2a9e-6b0d-4e8e-9a51-2b8f0c6d7e11",
                     *       "statusCode": 404
                     *     }
                     */
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description The user must reconnect (connection_needs_reauth; connection_revoked: they uninstalled the app) */
            409: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "code": "connection_needs_reauth",
                     *       "message": "Connection 0b7e... must be reconnected by its user through a new connect session",
                     *       "requestId": "3f1c2a9e-6b0d-4e8e-9a51-2b8f0c6d7e11",
                     *       "statusCode": 409
                     *     }
                     */
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description The provider's refresh budget is used up (Retry-After) */
            429: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "code": "rate_limited",
                     *       "message": "The refresh budget for this provider is used up; retry shortly",
                     *       "requestId": "3f1c2a9e-6b0d-4e8e-9a51-2b8f0c6d7e11",
                     *       "statusCode": 429
                     *     }
                     */
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description The provider failed (Retry-After when it said so) */
            502: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "code": "provider_unavailable",
                     *       "message": "The provider could not be reached or refused the refresh: unavailable",
                     *       "requestId": "3f1c2a9e-6b0d-4e8e-9a51-2b8f0c6d7e11",
                     *       "statusCode": 502
                     *     }
                     */
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Another replica is refreshing (Retry-After) */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "code": "refresh_in_progress",
                     *       "message": "Another replica is refreshing this connection; retry shortly",
                     *       "requestId": "3f1c2a9e-6b0d-4e8e-9a51-2b8f0c6d7e11",
                     *       "statusCode": 503
                     *     }
                     */
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
        };
    };
    listSubscriptions: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /** @description Connection id */
                id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["SubscriptionList"];
                };
            };
            /** @description Invalid input */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "code": "validation_failed",
                     *       "message": "limit must not be greater than 100",
                     *       "requestId": "3f1c2a9e-6b0d-4e8e-9a51-2b8f0c6d7e11",
                     *       "statusCode": 400
                     *     }
                     */
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Missing, unknown, malformed or revoked API key */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "code": "unauthorized",
                     *       "message": "A valid API key is required: Authorization: Bearer <key>",
                     *       "requestId": "3f1c2a9e-6b0d-4e8e-9a51-2b8f0c6d7e11",
                     *       "statusCode": 401
                     *     }
                     */
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description The API key does not have the `connections:read` scope */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "code": "insufficient_scope",
                     *       "message": "This API key does not have the scope this route needs: connections:read",
                     *       "requestId": "3f1c2a9e-6b0d-4e8e-9a51-2b8f0c6d7e11",
                     *       "requiredScope": "connections:read",
                     *       "statusCode": 403
                     *     }
                     */
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description No connection with this id */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "code": "connection_not_found",
                     *       "message": "Connection 0b7e... does not exist",
                     *       "requestId": "3f1c2a9e-6b0d-4e8e-9a51-2b8f0c6d7e11",
                     *       "statusCode": 404
                     *     }
                     */
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
        };
    };
    createSubscription: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /** @description Connection id */
                id: string;
            };
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["CreateSubscriptionRequest"];
            };
        };
        responses: {
            201: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Subscription"];
                };
            };
            /** @description Invalid input */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "code": "validation_failed",
                     *       "message": "limit must not be greater than 100",
                     *       "requestId": "3f1c2a9e-6b0d-4e8e-9a51-2b8f0c6d7e11",
                     *       "statusCode": 400
                     *     }
                     */
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Missing, unknown, malformed or revoked API key */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "code": "unauthorized",
                     *       "message": "A valid API key is required: Authorization: Bearer <key>",
                     *       "requestId": "3f1c2a9e-6b0d-4e8e-9a51-2b8f0c6d7e11",
                     *       "statusCode": 401
                     *     }
                     */
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description The API key does not have the `connections:write` scope */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "code": "insufficient_scope",
                     *       "message": "This API key does not have the scope this route needs: connections:write",
                     *       "requestId": "3f1c2a9e-6b0d-4e8e-9a51-2b8f0c6d7e11",
                     *       "requiredScope": "connections:write",
                     *       "statusCode": 403
                     *     }
                     */
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description No connection with this id */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "code": "connection_not_found",
                     *       "message": "Connection 0b7e... does not exist",
                     *       "requestId": "3f1c2a9e-6b0d-4e8e-9a51-2b8f0c6d7e11",
                     *       "statusCode": 404
                     *     }
                     */
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description The user must reconnect (connection_needs_reauth; connection_revoked: they uninstalled the app), or the provider already has this webhook (event_already_subscribed: Lightfunnels webhooks_duplicated) */
            409: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "code": "connection_revoked",
                     *       "message": "Connection 0b7e... was revoked: its user uninstalled the app at the provider; it works again once they reconnect the account",
                     *       "requestId": "3f1c2a9e-6b0d-4e8e-9a51-2b8f0c6d7e11",
                     *       "statusCode": 409
                     *     }
                     */
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Body over 100 kB */
            413: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "code": "payload_too_large",
                     *       "message": "The request body is larger than the 100 kB limit",
                     *       "requestId": "3f1c2a9e-6b0d-4e8e-9a51-2b8f0c6d7e11",
                     *       "statusCode": 413
                     *     }
                     */
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description The provider cannot register webhooks for this connection (events_not_supported: ClickFunnels Classic, generic providers, a Webflow authorization without a site) */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "code": "events_not_supported",
                     *       "message": "Provider \"clickfunnels-classic\" has no webhooks this service can register (docs/events.md)",
                     *       "requestId": "3f1c2a9e-6b0d-4e8e-9a51-2b8f0c6d7e11",
                     *       "statusCode": 422
                     *     }
                     */
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description The provider's refresh budget is used up (Retry-After) */
            429: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "code": "rate_limited",
                     *       "message": "The refresh budget for this provider is used up; retry shortly",
                     *       "requestId": "3f1c2a9e-6b0d-4e8e-9a51-2b8f0c6d7e11",
                     *       "statusCode": 429
                     *     }
                     */
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description The provider failed (Retry-After when it said so) */
            502: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "code": "provider_unavailable",
                     *       "message": "The provider could not be reached or refused the refresh: unavailable",
                     *       "requestId": "3f1c2a9e-6b0d-4e8e-9a51-2b8f0c6d7e11",
                     *       "statusCode": 502
                     *     }
                     */
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Another replica is refreshing (Retry-After) */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "code": "refresh_in_progress",
                     *       "message": "Another replica is refreshing this connection; retry shortly",
                     *       "requestId": "3f1c2a9e-6b0d-4e8e-9a51-2b8f0c6d7e11",
                     *       "statusCode": 503
                     *     }
                     */
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
        };
    };
    deleteSubscription: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /** @description Connection id */
                id: string;
                /** @description Subscription id */
                subscriptionId: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["DeleteSubscriptionResponse"];
                };
            };
            /** @description Invalid input */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "code": "validation_failed",
                     *       "message": "limit must not be greater than 100",
                     *       "requestId": "3f1c2a9e-6b0d-4e8e-9a51-2b8f0c6d7e11",
                     *       "statusCode": 400
                     *     }
                     */
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Missing, unknown, malformed or revoked API key */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "code": "unauthorized",
                     *       "message": "A valid API key is required: Authorization: Bearer <key>",
                     *       "requestId": "3f1c2a9e-6b0d-4e8e-9a51-2b8f0c6d7e11",
                     *       "statusCode": 401
                     *     }
                     */
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description The API key does not have the `connections:write` scope */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "code": "insufficient_scope",
                     *       "message": "This API key does not have the scope this route needs: connections:write",
                     *       "requestId": "3f1c2a9e-6b0d-4e8e-9a51-2b8f0c6d7e11",
                     *       "requiredScope": "connections:write",
                     *       "statusCode": 403
                     *     }
                     */
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description No connection with this id (connection_not_found), or no such subscription of it (subscription_not_found) */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "code": "subscription_not_found",
                     *       "message": "Connection 0b7e... has no subscription 9c1d...",
                     *       "requestId": "3f1c2a9e-6b0d-4e8e-9a51-2b8f0c6d7e11",
                     *       "statusCode": 404
                     *     }
                     */
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description The user must reconnect (connection_needs_reauth; connection_revoked: they uninstalled the app) */
            409: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "code": "connection_needs_reauth",
                     *       "message": "Connection 0b7e... must be reconnected by its user through a new connect session",
                     *       "requestId": "3f1c2a9e-6b0d-4e8e-9a51-2b8f0c6d7e11",
                     *       "statusCode": 409
                     *     }
                     */
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description The provider's refresh budget is used up (Retry-After) */
            429: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "code": "rate_limited",
                     *       "message": "The refresh budget for this provider is used up; retry shortly",
                     *       "requestId": "3f1c2a9e-6b0d-4e8e-9a51-2b8f0c6d7e11",
                     *       "statusCode": 429
                     *     }
                     */
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description The provider failed (Retry-After when it said so) */
            502: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "code": "provider_unavailable",
                     *       "message": "The provider could not be reached or refused the refresh: unavailable",
                     *       "requestId": "3f1c2a9e-6b0d-4e8e-9a51-2b8f0c6d7e11",
                     *       "statusCode": 502
                     *     }
                     */
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Another replica is refreshing (Retry-After) */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "code": "refresh_in_progress",
                     *       "message": "Another replica is refreshing this connection; retry shortly",
                     *       "requestId": "3f1c2a9e-6b0d-4e8e-9a51-2b8f0c6d7e11",
                     *       "statusCode": 503
                     *     }
                     */
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
        };
    };
    verifyConnection: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /** @description Connection id */
                id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Connection"];
                };
            };
            /** @description Invalid input */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "code": "validation_failed",
                     *       "message": "limit must not be greater than 100",
                     *       "requestId": "3f1c2a9e-6b0d-4e8e-9a51-2b8f0c6d7e11",
                     *       "statusCode": 400
                     *     }
                     */
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Missing, unknown, malformed or revoked API key */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "code": "unauthorized",
                     *       "message": "A valid API key is required: Authorization: Bearer <key>",
                     *       "requestId": "3f1c2a9e-6b0d-4e8e-9a51-2b8f0c6d7e11",
                     *       "statusCode": 401
                     *     }
                     */
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description The API key does not have the `connections:write` scope */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "code": "insufficient_scope",
                     *       "message": "This API key does not have the scope this route needs: connections:write",
                     *       "requestId": "3f1c2a9e-6b0d-4e8e-9a51-2b8f0c6d7e11",
                     *       "requiredScope": "connections:write",
                     *       "statusCode": 403
                     *     }
                     */
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description No connection with this id */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "code": "connection_not_found",
                     *       "message": "Connection 0b7e... does not exist",
                     *       "requestId": "3f1c2a9e-6b0d-4e8e-9a51-2b8f0c6d7e11",
                     *       "statusCode": 404
                     *     }
                     */
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description The user must reconnect (connection_needs_reauth; connection_revoked: they uninstalled the app) */
            409: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "code": "connection_needs_reauth",
                     *       "message": "Connection 0b7e... must be reconnected by its user through a new connect session",
                     *       "requestId": "3f1c2a9e-6b0d-4e8e-9a51-2b8f0c6d7e11",
                     *       "statusCode": 409
                     *     }
                     */
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description The provider failed (Retry-After when it said so) */
            502: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "code": "provider_unavailable",
                     *       "message": "The provider could not be reached or refused the refresh: unavailable",
                     *       "requestId": "3f1c2a9e-6b0d-4e8e-9a51-2b8f0c6d7e11",
                     *       "statusCode": 502
                     *     }
                     */
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
        };
    };
    getLiveness: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description The Health Check is successful */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        /**
                         * @example {
                         *       "database": {
                         *         "status": "up"
                         *       }
                         *     }
                         */
                        details?: {
                            [key: string]: {
                                /** @enum {string} */
                                status: "up" | "down";
                            } & {
                                [key: string]: unknown;
                            };
                        };
                        /** @example {} */
                        error?: {
                            [key: string]: {
                                /** @enum {string} */
                                status: "up" | "down";
                            } & {
                                [key: string]: unknown;
                            };
                        } | null;
                        /**
                         * @example {
                         *       "database": {
                         *         "status": "up"
                         *       }
                         *     }
                         */
                        info?: {
                            [key: string]: {
                                /** @enum {string} */
                                status: "up" | "down";
                            } & {
                                [key: string]: unknown;
                            };
                        } | null;
                        /**
                         * @example ok
                         * @enum {string}
                         */
                        status?: "ok";
                    };
                };
            };
            /** @description The Health Check is not successful */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        /**
                         * @example {
                         *       "database": {
                         *         "message": "timeout of 3000ms exceeded",
                         *         "status": "down"
                         *       }
                         *     }
                         */
                        details?: {
                            [key: string]: {
                                /** @enum {string} */
                                status: "up" | "down";
                            } & {
                                [key: string]: unknown;
                            };
                        };
                        /**
                         * @example {
                         *       "database": {
                         *         "message": "timeout of 3000ms exceeded",
                         *         "status": "down"
                         *       }
                         *     }
                         */
                        error?: {
                            [key: string]: {
                                /** @enum {string} */
                                status: "up" | "down";
                            } & {
                                [key: string]: unknown;
                            };
                        } | null;
                        /** @example {} */
                        info?: {
                            [key: string]: {
                                /** @enum {string} */
                                status: "up" | "down";
                            } & {
                                [key: string]: unknown;
                            };
                        } | null;
                        /**
                         * @example error
                         * @enum {string}
                         */
                        status?: "error" | "shutting_down";
                    };
                };
            };
        };
    };
    getReadiness: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description The Health Check is successful */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        /**
                         * @example {
                         *       "database": {
                         *         "status": "up"
                         *       }
                         *     }
                         */
                        details?: {
                            [key: string]: {
                                /** @enum {string} */
                                status: "up" | "down";
                            } & {
                                [key: string]: unknown;
                            };
                        };
                        /** @example {} */
                        error?: {
                            [key: string]: {
                                /** @enum {string} */
                                status: "up" | "down";
                            } & {
                                [key: string]: unknown;
                            };
                        } | null;
                        /**
                         * @example {
                         *       "database": {
                         *         "status": "up"
                         *       }
                         *     }
                         */
                        info?: {
                            [key: string]: {
                                /** @enum {string} */
                                status: "up" | "down";
                            } & {
                                [key: string]: unknown;
                            };
                        } | null;
                        /**
                         * @example ok
                         * @enum {string}
                         */
                        status?: "ok";
                    };
                };
            };
            /** @description The Health Check is not successful */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        /**
                         * @example {
                         *       "database": {
                         *         "message": "timeout of 3000ms exceeded",
                         *         "status": "down"
                         *       }
                         *     }
                         */
                        details?: {
                            [key: string]: {
                                /** @enum {string} */
                                status: "up" | "down";
                            } & {
                                [key: string]: unknown;
                            };
                        };
                        /**
                         * @example {
                         *       "database": {
                         *         "message": "timeout of 3000ms exceeded",
                         *         "status": "down"
                         *       }
                         *     }
                         */
                        error?: {
                            [key: string]: {
                                /** @enum {string} */
                                status: "up" | "down";
                            } & {
                                [key: string]: unknown;
                            };
                        } | null;
                        /** @example {} */
                        info?: {
                            [key: string]: {
                                /** @enum {string} */
                                status: "up" | "down";
                            } & {
                                [key: string]: unknown;
                            };
                        } | null;
                        /**
                         * @example error
                         * @enum {string}
                         */
                        status?: "error" | "shutting_down";
                    };
                };
            };
        };
    };
    listProviders: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ProviderList"];
                };
            };
            /** @description Missing, unknown, malformed or revoked API key */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "code": "unauthorized",
                     *       "message": "A valid API key is required: Authorization: Bearer <key>",
                     *       "requestId": "3f1c2a9e-6b0d-4e8e-9a51-2b8f0c6d7e11",
                     *       "statusCode": 401
                     *     }
                     */
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description The API key does not have the `connections:read` scope */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "code": "insufficient_scope",
                     *       "message": "This API key does not have the scope this route needs: connections:read",
                     *       "requestId": "3f1c2a9e-6b0d-4e8e-9a51-2b8f0c6d7e11",
                     *       "requiredScope": "connections:read",
                     *       "statusCode": 403
                     *     }
                     */
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
        };
    };
    proxyGet: {
        parameters: {
            query?: never;
            header?: {
                /** @description Retries of an idempotent call on 429, 5xx or no connection (0 by default) */
                "Proxy-Retries"?: number;
            };
            path: {
                connectionId: string;
                /** @description The rest of the URL under the API base: several segments (`contacts/7`), sent as they are, and the query string */
                path: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description invalid_proxy_path (.., //, backslashes, encoded slashes), a malformed id or Proxy-Retries (validation_failed) */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Missing, unknown or revoked API key (unauthorized); or the provider refused the renewed token too (its answer, with Proxy-Status) */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description The API key does not have the `proxy` scope (insufficient_scope) */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description No connection with this id (connection_not_found); or the provider answered 404 (with Proxy-Status) */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description The connection needs its user to reconnect (connection_needs_reauth), or they uninstalled the app at the provider (connection_revoked); no call is made */
            409: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description The request body is over PROXY_MAX_BODY_BYTES (payload_too_large) */
            413: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description The provider's API could not be reached (provider_unavailable), or resolves to a private address in production that <P>_ALLOW_PRIVATE_API_HOST does not allow (proxy_target_not_allowed) */
            502: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description The provider's API did not answer within PROXY_TIMEOUT_MS (upstream_timeout) */
            504: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description The provider's answer, as it is (Proxy-Status: oauth-connections; received-status=<status>) */
            default: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "*/*": unknown;
                };
            };
        };
    };
    proxyPut: {
        parameters: {
            query?: never;
            header?: {
                /** @description Retries of an idempotent call on 429, 5xx or no connection (0 by default) */
                "Proxy-Retries"?: number;
            };
            path: {
                connectionId: string;
                /** @description The rest of the URL under the API base: several segments (`contacts/7`), sent as they are, and the query string */
                path: string;
            };
            cookie?: never;
        };
        /** @description Passed on byte for byte, any content type, up to PROXY_MAX_BODY_BYTES (10 MB by default, at most 100 MB) */
        requestBody?: {
            content: {
                "*/*": string;
            };
        };
        responses: {
            /** @description invalid_proxy_path (.., //, backslashes, encoded slashes), a malformed id or Proxy-Retries (validation_failed) */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Missing, unknown or revoked API key (unauthorized); or the provider refused the renewed token too (its answer, with Proxy-Status) */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description The API key does not have the `proxy` scope (insufficient_scope) */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description No connection with this id (connection_not_found); or the provider answered 404 (with Proxy-Status) */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description The connection needs its user to reconnect (connection_needs_reauth), or they uninstalled the app at the provider (connection_revoked); no call is made */
            409: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description The request body is over PROXY_MAX_BODY_BYTES (payload_too_large) */
            413: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description The provider's API could not be reached (provider_unavailable), or resolves to a private address in production that <P>_ALLOW_PRIVATE_API_HOST does not allow (proxy_target_not_allowed) */
            502: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description The provider's API did not answer within PROXY_TIMEOUT_MS (upstream_timeout) */
            504: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description The provider's answer, as it is (Proxy-Status: oauth-connections; received-status=<status>) */
            default: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "*/*": unknown;
                };
            };
        };
    };
    proxyPost: {
        parameters: {
            query?: never;
            header?: {
                /** @description Retries of an idempotent call on 429, 5xx or no connection (0 by default) */
                "Proxy-Retries"?: number;
            };
            path: {
                connectionId: string;
                /** @description The rest of the URL under the API base: several segments (`contacts/7`), sent as they are, and the query string */
                path: string;
            };
            cookie?: never;
        };
        /** @description Passed on byte for byte, any content type, up to PROXY_MAX_BODY_BYTES (10 MB by default, at most 100 MB) */
        requestBody?: {
            content: {
                "*/*": string;
            };
        };
        responses: {
            /** @description invalid_proxy_path (.., //, backslashes, encoded slashes), a malformed id or Proxy-Retries (validation_failed) */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Missing, unknown or revoked API key (unauthorized); or the provider refused the renewed token too (its answer, with Proxy-Status) */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description The API key does not have the `proxy` scope (insufficient_scope) */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description No connection with this id (connection_not_found); or the provider answered 404 (with Proxy-Status) */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description The connection needs its user to reconnect (connection_needs_reauth), or they uninstalled the app at the provider (connection_revoked); no call is made */
            409: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description The request body is over PROXY_MAX_BODY_BYTES (payload_too_large) */
            413: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description The provider's API could not be reached (provider_unavailable), or resolves to a private address in production that <P>_ALLOW_PRIVATE_API_HOST does not allow (proxy_target_not_allowed) */
            502: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description The provider's API did not answer within PROXY_TIMEOUT_MS (upstream_timeout) */
            504: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description The provider's answer, as it is (Proxy-Status: oauth-connections; received-status=<status>) */
            default: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "*/*": unknown;
                };
            };
        };
    };
    proxyDelete: {
        parameters: {
            query?: never;
            header?: {
                /** @description Retries of an idempotent call on 429, 5xx or no connection (0 by default) */
                "Proxy-Retries"?: number;
            };
            path: {
                connectionId: string;
                /** @description The rest of the URL under the API base: several segments (`contacts/7`), sent as they are, and the query string */
                path: string;
            };
            cookie?: never;
        };
        /** @description Passed on byte for byte, any content type, up to PROXY_MAX_BODY_BYTES (10 MB by default, at most 100 MB) */
        requestBody?: {
            content: {
                "*/*": string;
            };
        };
        responses: {
            /** @description invalid_proxy_path (.., //, backslashes, encoded slashes), a malformed id or Proxy-Retries (validation_failed) */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Missing, unknown or revoked API key (unauthorized); or the provider refused the renewed token too (its answer, with Proxy-Status) */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description The API key does not have the `proxy` scope (insufficient_scope) */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description No connection with this id (connection_not_found); or the provider answered 404 (with Proxy-Status) */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description The connection needs its user to reconnect (connection_needs_reauth), or they uninstalled the app at the provider (connection_revoked); no call is made */
            409: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description The request body is over PROXY_MAX_BODY_BYTES (payload_too_large) */
            413: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description The provider's API could not be reached (provider_unavailable), or resolves to a private address in production that <P>_ALLOW_PRIVATE_API_HOST does not allow (proxy_target_not_allowed) */
            502: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description The provider's API did not answer within PROXY_TIMEOUT_MS (upstream_timeout) */
            504: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description The provider's answer, as it is (Proxy-Status: oauth-connections; received-status=<status>) */
            default: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "*/*": unknown;
                };
            };
        };
    };
    proxyHead: {
        parameters: {
            query?: never;
            header?: {
                /** @description Retries of an idempotent call on 429, 5xx or no connection (0 by default) */
                "Proxy-Retries"?: number;
            };
            path: {
                connectionId: string;
                /** @description The rest of the URL under the API base: several segments (`contacts/7`), sent as they are, and the query string */
                path: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description invalid_proxy_path (.., //, backslashes, encoded slashes), a malformed id or Proxy-Retries (validation_failed) */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Missing, unknown or revoked API key (unauthorized); or the provider refused the renewed token too (its answer, with Proxy-Status) */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description The API key does not have the `proxy` scope (insufficient_scope) */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description No connection with this id (connection_not_found); or the provider answered 404 (with Proxy-Status) */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description The connection needs its user to reconnect (connection_needs_reauth), or they uninstalled the app at the provider (connection_revoked); no call is made */
            409: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description The request body is over PROXY_MAX_BODY_BYTES (payload_too_large) */
            413: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description The provider's API could not be reached (provider_unavailable), or resolves to a private address in production that <P>_ALLOW_PRIVATE_API_HOST does not allow (proxy_target_not_allowed) */
            502: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description The provider's API did not answer within PROXY_TIMEOUT_MS (upstream_timeout) */
            504: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description The provider's answer, as it is (Proxy-Status: oauth-connections; received-status=<status>) */
            default: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "*/*": unknown;
                };
            };
        };
    };
    proxyPatch: {
        parameters: {
            query?: never;
            header?: {
                /** @description Retries of an idempotent call on 429, 5xx or no connection (0 by default) */
                "Proxy-Retries"?: number;
            };
            path: {
                connectionId: string;
                /** @description The rest of the URL under the API base: several segments (`contacts/7`), sent as they are, and the query string */
                path: string;
            };
            cookie?: never;
        };
        /** @description Passed on byte for byte, any content type, up to PROXY_MAX_BODY_BYTES (10 MB by default, at most 100 MB) */
        requestBody?: {
            content: {
                "*/*": string;
            };
        };
        responses: {
            /** @description invalid_proxy_path (.., //, backslashes, encoded slashes), a malformed id or Proxy-Retries (validation_failed) */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Missing, unknown or revoked API key (unauthorized); or the provider refused the renewed token too (its answer, with Proxy-Status) */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description The API key does not have the `proxy` scope (insufficient_scope) */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description No connection with this id (connection_not_found); or the provider answered 404 (with Proxy-Status) */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description The connection needs its user to reconnect (connection_needs_reauth), or they uninstalled the app at the provider (connection_revoked); no call is made */
            409: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description The request body is over PROXY_MAX_BODY_BYTES (payload_too_large) */
            413: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description The provider's API could not be reached (provider_unavailable), or resolves to a private address in production that <P>_ALLOW_PRIVATE_API_HOST does not allow (proxy_target_not_allowed) */
            502: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description The provider's API did not answer within PROXY_TIMEOUT_MS (upstream_timeout) */
            504: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description The provider's answer, as it is (Proxy-Status: oauth-connections; received-status=<status>) */
            default: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "*/*": unknown;
                };
            };
        };
    };
    listWebhookDeliveries: {
        parameters: {
            query?: {
                limit?: number;
                /** @description Opaque cursor from a previous page’s nextCursor */
                cursor?: string;
                status?: components["schemas"]["WebhookDeliveryStatus"];
            };
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["WebhookDeliveryList"];
                };
            };
            /** @description Invalid input */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "code": "validation_failed",
                     *       "message": "limit must not be greater than 100",
                     *       "requestId": "3f1c2a9e-6b0d-4e8e-9a51-2b8f0c6d7e11",
                     *       "statusCode": 400
                     *     }
                     */
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Missing, unknown, malformed or revoked API key */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "code": "unauthorized",
                     *       "message": "A valid API key is required: Authorization: Bearer <key>",
                     *       "requestId": "3f1c2a9e-6b0d-4e8e-9a51-2b8f0c6d7e11",
                     *       "statusCode": 401
                     *     }
                     */
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description The API key does not have the `webhooks` scope */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "code": "insufficient_scope",
                     *       "message": "This API key does not have the scope this route needs: webhooks",
                     *       "requestId": "3f1c2a9e-6b0d-4e8e-9a51-2b8f0c6d7e11",
                     *       "requiredScope": "webhooks",
                     *       "statusCode": 403
                     *     }
                     */
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
        };
    };
    redeliverWebhook: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["WebhookDelivery"];
                };
            };
            /** @description Invalid input */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "code": "validation_failed",
                     *       "message": "limit must not be greater than 100",
                     *       "requestId": "3f1c2a9e-6b0d-4e8e-9a51-2b8f0c6d7e11",
                     *       "statusCode": 400
                     *     }
                     */
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description Missing, unknown, malformed or revoked API key */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "code": "unauthorized",
                     *       "message": "A valid API key is required: Authorization: Bearer <key>",
                     *       "requestId": "3f1c2a9e-6b0d-4e8e-9a51-2b8f0c6d7e11",
                     *       "statusCode": 401
                     *     }
                     */
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description The API key does not have the `webhooks` scope */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "code": "insufficient_scope",
                     *       "message": "This API key does not have the scope this route needs: webhooks",
                     *       "requestId": "3f1c2a9e-6b0d-4e8e-9a51-2b8f0c6d7e11",
                     *       "requiredScope": "webhooks",
                     *       "statusCode": 403
                     *     }
                     */
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
            /** @description No connection with this id */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "code": "connection_not_found",
                     *       "message": "Connection 0b7e... does not exist",
                     *       "requestId": "3f1c2a9e-6b0d-4e8e-9a51-2b8f0c6d7e11",
                     *       "statusCode": 404
                     *     }
                     */
                    "application/json": components["schemas"]["ErrorResponse"];
                };
            };
        };
    };
    connectionCreatedWebhook: {
        parameters: {
            query?: never;
            header: {
                /** @description The delivery, `msg_<delivery id>`: the same on every retry of one event, so a receiver drops duplicates by it (GET /webhook-deliveries lists the delivery id). */
                "webhook-id": components["parameters"]["WebhookId"];
                /** @description Unix seconds of this attempt (signed): reject one more than a few minutes from your clock, to stop replays. */
                "webhook-timestamp": components["parameters"]["WebhookTimestamp"];
                /** @description Standard Webhooks: `v1,<base64 HMAC-SHA256 of "<webhook-id>.<webhook-timestamp>.<raw body>">`, keyed with the bytes of a WEBHOOK_SECRET after `whsec_`; one per configured secret, space-separated (rotation). Verify against the raw body before parsing it (docs/operations.md "Verifying a webhook"). */
                "webhook-signature": components["parameters"]["WebhookSignature"];
            };
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["ConnectionEventWebhook"];
            };
        };
        responses: {
            /** @description Delivered: this event is not sent again */
            "2XX": {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
            /** @description Any other answer, or none within HTTP_TIMEOUT_MS: retried with exponential backoff up to WEBHOOK_MAX_ATTEMPTS, then `failed` (POST /webhook-deliveries/{id}/redeliver sends it again) */
            default: {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
        };
    };
    connectionDeletedWebhook: {
        parameters: {
            query?: never;
            header: {
                /** @description The delivery, `msg_<delivery id>`: the same on every retry of one event, so a receiver drops duplicates by it (GET /webhook-deliveries lists the delivery id). */
                "webhook-id": components["parameters"]["WebhookId"];
                /** @description Unix seconds of this attempt (signed): reject one more than a few minutes from your clock, to stop replays. */
                "webhook-timestamp": components["parameters"]["WebhookTimestamp"];
                /** @description Standard Webhooks: `v1,<base64 HMAC-SHA256 of "<webhook-id>.<webhook-timestamp>.<raw body>">`, keyed with the bytes of a WEBHOOK_SECRET after `whsec_`; one per configured secret, space-separated (rotation). Verify against the raw body before parsing it (docs/operations.md "Verifying a webhook"). */
                "webhook-signature": components["parameters"]["WebhookSignature"];
            };
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["ConnectionEventWebhook"];
            };
        };
        responses: {
            /** @description Delivered: this event is not sent again */
            "2XX": {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
            /** @description Any other answer, or none within HTTP_TIMEOUT_MS: retried with exponential backoff up to WEBHOOK_MAX_ATTEMPTS, then `failed` (POST /webhook-deliveries/{id}/redeliver sends it again) */
            default: {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
        };
    };
    connectionNeedsReauthWebhook: {
        parameters: {
            query?: never;
            header: {
                /** @description The delivery, `msg_<delivery id>`: the same on every retry of one event, so a receiver drops duplicates by it (GET /webhook-deliveries lists the delivery id). */
                "webhook-id": components["parameters"]["WebhookId"];
                /** @description Unix seconds of this attempt (signed): reject one more than a few minutes from your clock, to stop replays. */
                "webhook-timestamp": components["parameters"]["WebhookTimestamp"];
                /** @description Standard Webhooks: `v1,<base64 HMAC-SHA256 of "<webhook-id>.<webhook-timestamp>.<raw body>">`, keyed with the bytes of a WEBHOOK_SECRET after `whsec_`; one per configured secret, space-separated (rotation). Verify against the raw body before parsing it (docs/operations.md "Verifying a webhook"). */
                "webhook-signature": components["parameters"]["WebhookSignature"];
            };
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["ConnectionEventWebhook"];
            };
        };
        responses: {
            /** @description Delivered: this event is not sent again */
            "2XX": {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
            /** @description Any other answer, or none within HTTP_TIMEOUT_MS: retried with exponential backoff up to WEBHOOK_MAX_ATTEMPTS, then `failed` (POST /webhook-deliveries/{id}/redeliver sends it again) */
            default: {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
        };
    };
    connectionReconnectedWebhook: {
        parameters: {
            query?: never;
            header: {
                /** @description The delivery, `msg_<delivery id>`: the same on every retry of one event, so a receiver drops duplicates by it (GET /webhook-deliveries lists the delivery id). */
                "webhook-id": components["parameters"]["WebhookId"];
                /** @description Unix seconds of this attempt (signed): reject one more than a few minutes from your clock, to stop replays. */
                "webhook-timestamp": components["parameters"]["WebhookTimestamp"];
                /** @description Standard Webhooks: `v1,<base64 HMAC-SHA256 of "<webhook-id>.<webhook-timestamp>.<raw body>">`, keyed with the bytes of a WEBHOOK_SECRET after `whsec_`; one per configured secret, space-separated (rotation). Verify against the raw body before parsing it (docs/operations.md "Verifying a webhook"). */
                "webhook-signature": components["parameters"]["WebhookSignature"];
            };
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["ConnectionEventWebhook"];
            };
        };
        responses: {
            /** @description Delivered: this event is not sent again */
            "2XX": {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
            /** @description Any other answer, or none within HTTP_TIMEOUT_MS: retried with exponential backoff up to WEBHOOK_MAX_ATTEMPTS, then `failed` (POST /webhook-deliveries/{id}/redeliver sends it again) */
            default: {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
        };
    };
    connectionRefreshFailedWebhook: {
        parameters: {
            query?: never;
            header: {
                /** @description The delivery, `msg_<delivery id>`: the same on every retry of one event, so a receiver drops duplicates by it (GET /webhook-deliveries lists the delivery id). */
                "webhook-id": components["parameters"]["WebhookId"];
                /** @description Unix seconds of this attempt (signed): reject one more than a few minutes from your clock, to stop replays. */
                "webhook-timestamp": components["parameters"]["WebhookTimestamp"];
                /** @description Standard Webhooks: `v1,<base64 HMAC-SHA256 of "<webhook-id>.<webhook-timestamp>.<raw body>">`, keyed with the bytes of a WEBHOOK_SECRET after `whsec_`; one per configured secret, space-separated (rotation). Verify against the raw body before parsing it (docs/operations.md "Verifying a webhook"). */
                "webhook-signature": components["parameters"]["WebhookSignature"];
            };
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["ConnectionEventWebhook"];
            };
        };
        responses: {
            /** @description Delivered: this event is not sent again */
            "2XX": {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
            /** @description Any other answer, or none within HTTP_TIMEOUT_MS: retried with exponential backoff up to WEBHOOK_MAX_ATTEMPTS, then `failed` (POST /webhook-deliveries/{id}/redeliver sends it again) */
            default: {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
        };
    };
    connectionRevokedWebhook: {
        parameters: {
            query?: never;
            header: {
                /** @description The delivery, `msg_<delivery id>`: the same on every retry of one event, so a receiver drops duplicates by it (GET /webhook-deliveries lists the delivery id). */
                "webhook-id": components["parameters"]["WebhookId"];
                /** @description Unix seconds of this attempt (signed): reject one more than a few minutes from your clock, to stop replays. */
                "webhook-timestamp": components["parameters"]["WebhookTimestamp"];
                /** @description Standard Webhooks: `v1,<base64 HMAC-SHA256 of "<webhook-id>.<webhook-timestamp>.<raw body>">`, keyed with the bytes of a WEBHOOK_SECRET after `whsec_`; one per configured secret, space-separated (rotation). Verify against the raw body before parsing it (docs/operations.md "Verifying a webhook"). */
                "webhook-signature": components["parameters"]["WebhookSignature"];
            };
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["ConnectionEventWebhook"];
            };
        };
        responses: {
            /** @description Delivered: this event is not sent again */
            "2XX": {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
            /** @description Any other answer, or none within HTTP_TIMEOUT_MS: retried with exponential backoff up to WEBHOOK_MAX_ATTEMPTS, then `failed` (POST /webhook-deliveries/{id}/redeliver sends it again) */
            default: {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
        };
    };
    providerEventWebhook: {
        parameters: {
            query?: never;
            header: {
                /** @description The delivery, `msg_<delivery id>`: the same on every retry of one event, so a receiver drops duplicates by it (GET /webhook-deliveries lists the delivery id). */
                "webhook-id": components["parameters"]["WebhookId"];
                /** @description Unix seconds of this attempt (signed): reject one more than a few minutes from your clock, to stop replays. */
                "webhook-timestamp": components["parameters"]["WebhookTimestamp"];
                /** @description Standard Webhooks: `v1,<base64 HMAC-SHA256 of "<webhook-id>.<webhook-timestamp>.<raw body>">`, keyed with the bytes of a WEBHOOK_SECRET after `whsec_`; one per configured secret, space-separated (rotation). Verify against the raw body before parsing it (docs/operations.md "Verifying a webhook"). */
                "webhook-signature": components["parameters"]["WebhookSignature"];
            };
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["ProviderEventWebhook"];
            };
        };
        responses: {
            /** @description Delivered: this event is not sent again */
            "2XX": {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
            /** @description Any other answer, or none within HTTP_TIMEOUT_MS: retried with exponential backoff up to WEBHOOK_MAX_ATTEMPTS, then `failed` (POST /webhook-deliveries/{id}/redeliver sends it again) */
            default: {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
        };
    };
}
