/**
 * Domain errors with stable codes. Services throw these; the global filter maps them to HTTP.
 * Messages are written for the API caller and never include tokens, secrets or request bodies.
 */
export const ERROR_CODES = [
  'validation_failed',
  'invalid_json',
  'payload_too_large',
  'headers_too_large',
  'request_timeout',
  'unauthorized',
  'insufficient_scope',
  'route_not_found',
  'not_found',
  'invalid_signature',
  'event_too_old',
  'connection_not_found',
  'connect_session_not_found',
  'provider_not_configured',
  'invalid_cursor',
  'return_url_not_allowed',
  'connection_needs_reauth',
  'connection_revoked',
  'refresh_not_supported',
  'provider_unavailable',
  'rate_limited',
  'refresh_in_progress',
  'verify_not_supported',
  'events_not_supported',
  'subscription_not_found',
  'event_already_subscribed',
  'webhook_delivery_not_found',
  'api_key_not_found',
  'api_key_from_environment',
  'invalid_proxy_path',
  'proxy_target_not_allowed',
  'upstream_timeout',
  'request_aborted',
  'service_unavailable',
  'internal_error',
] as const;

export type ErrorCode = (typeof ERROR_CODES)[number];

export class DomainError extends Error {
  constructor(
    readonly code: ErrorCode,
    readonly status: number,
    message: string,
    /** Extra response headers, e.g. Retry-After. */
    readonly headers: Record<string, string> = {},
    /** Extra fields of the error body, e.g. requiredScope (never a secret or user input). */
    readonly details: Record<string, string> = {},
  ) {
    super(message);
    this.name = new.target.name;
  }
}

export class ValidationFailed extends DomainError {
  constructor(message: string) {
    super('validation_failed', 400, message);
  }
}

export class ConnectionNotFound extends DomainError {
  constructor(id: string) {
    super('connection_not_found', 404, `Connection ${id} does not exist`);
  }
}

export class ConnectSessionNotFound extends DomainError {
  constructor(id: string) {
    super(
      'connect_session_not_found',
      404,
      `Connect session ${id} does not exist (or was purged a day after it expired)`,
    );
  }
}

export class ProviderNotConfigured extends DomainError {
  constructor(name: string) {
    super('provider_not_configured', 400, `Provider "${name}" is not configured on this service`);
  }
}

export class InvalidCursor extends DomainError {
  constructor() {
    super('invalid_cursor', 400, 'The cursor is not one this service issued; start again without a cursor');
  }
}

export class Unauthorized extends DomainError {
  constructor() {
    super('unauthorized', 401, 'A valid API key is required: Authorization: Bearer <key>');
  }
}

export class InsufficientScope extends DomainError {
  constructor(requiredScope: string) {
    super(
      'insufficient_scope',
      403,
      `This API key does not have the scope this route needs: ${requiredScope}`,
      {},
      { requiredScope },
    );
  }
}

export class ApiKeyNotFound extends DomainError {
  constructor(id: string) {
    super('api_key_not_found', 404, `No active API key has the id ${id}`);
  }
}

export class ApiKeyFromEnvironment extends DomainError {
  constructor(id: string) {
    super(
      'api_key_from_environment',
      409,
      `${id} comes from API_KEYS: remove it there and restart the service to revoke it`,
    );
  }
}

export class ConnectionNeedsReauth extends DomainError {
  constructor(id: string) {
    super(
      'connection_needs_reauth',
      409,
      `Connection ${id} must be reconnected by its user through a new connect session`,
    );
  }
}

/** The user uninstalled the app at the provider: the tokens are deleted; only a reconnect of the account revives it. */
export class ConnectionRevoked extends DomainError {
  constructor(id: string) {
    super(
      'connection_revoked',
      409,
      `Connection ${id} was revoked: its user uninstalled the app at the provider; it works again once they reconnect the account`,
    );
  }
}

export class ReturnUrlNotAllowed extends DomainError {
  constructor() {
    super('return_url_not_allowed', 400, 'returnUrl does not match any entry of ALLOWED_RETURN_URLS');
  }
}

export class RefreshNotSupported extends DomainError {
  constructor(id: string) {
    super(
      'refresh_not_supported',
      400,
      `Connection ${id} has no refresh token: its provider issues tokens that do not expire`,
    );
  }
}

export class VerifyNotSupported extends DomainError {
  constructor(provider: string) {
    super('verify_not_supported', 400, `Provider "${provider}" has no documented endpoint to check a token with`);
  }
}

export class ProviderUnavailable extends DomainError {
  constructor(detail: string, retryAfterSeconds?: number) {
    super(
      'provider_unavailable',
      502,
      `The provider could not be reached or refused the refresh: ${detail}`,
      retryAfterSeconds ? { 'Retry-After': String(retryAfterSeconds) } : {},
    );
  }
}

export class RefreshInProgress extends DomainError {
  constructor(retryAfterSeconds: number) {
    super('refresh_in_progress', 503, 'Another replica is refreshing this connection; retry shortly', {
      'Retry-After': String(Math.max(1, retryAfterSeconds)),
    });
  }
}

/** POST /connections/{id}/subscriptions: the provider cannot register webhooks for this connection. */
export class EventsNotSupported extends DomainError {
  constructor(message: string) {
    super('events_not_supported', 422, message);
  }
}

export class SubscriptionNotFound extends DomainError {
  constructor(connectionId: string, id: string) {
    super('subscription_not_found', 404, `Connection ${connectionId} has no subscription ${id}`);
  }
}
