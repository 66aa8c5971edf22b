/**
 * The limits the API declares in openapi.json (docs/api.md "Limits"), in one place: what the
 * validation enforces on input, and honest upper bounds of what the service answers. Spread the
 * schemas into @ApiProperty / @ApiParam; the input limits go with their class-validator decorator.
 */

/** A uuid as the API writes and accepts it (ParseUUIDPipe / @IsUUID): 36 characters. */
export const UUID_SCHEMA = { type: 'string', format: 'uuid', maxLength: 36 } as const;

/**
 * An RFC 3339 date-time. 35 is the longest validation.ts's RFC3339 accepts (nine fraction digits and
 * an offset); the service itself writes toISOString()'s 24.
 */
export const DATE_TIME_SCHEMA = { type: 'string', format: 'date-time', maxLength: 35 } as const;

/** A provider's name (`keap`, a PROVIDERS_FILE entry): lower-case letters, digits and dashes. */
export const PROVIDER_NAME_PATTERN = /^[a-z0-9][a-z0-9-]{0,63}$/;
export const PROVIDER_NAME_SCHEMA = {
  type: 'string',
  minLength: 1,
  maxLength: 64,
  pattern: PROVIDER_NAME_PATTERN.source,
} as const;

/** ownerId, accountId, team and workspace ids and names: varchar(255) columns. */
export const ID_MAX_LENGTH = 255;

/** Return URLs and API base URLs. */
export const URL_MAX_LENGTH = 2048;

/** The opaque keyset cursor of list endpoints (what the service writes is about 90 characters). */
export const CURSOR_MAX_LENGTH = 512;

/** Items on one page of a list endpoint (PageQuery's `limit`). */
export const PAGE_MAX_ITEMS = 100;

/**
 * The largest token or whoami answer a provider can give (common/http-client.ts refuses a larger one):
 * the bound of the values the service keeps from it as they are (access token, granted scopes).
 */
export const PROVIDER_ANSWER_MAX_BYTES = 1024 * 1024;

/** Granted scopes parsed from one provider answer: at most one per two characters (`a b c`). */
export const PROVIDER_SCOPES_MAX_ITEMS = PROVIDER_ANSWER_MAX_BYTES / 2;

/** A validation error's message is cut to this (it names each refused field, and there may be many). */
export const VALIDATION_MESSAGE_MAX_LENGTH = 1024;

/** Every ErrorResponse message: the validation ones above, the others the service's own short texts. */
export const ERROR_MESSAGE_MAX_LENGTH = 2048;
