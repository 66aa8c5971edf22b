import { ArgumentMetadata, ParseUUIDPipe, Type, ValidationError, ValidationPipe } from '@nestjs/common';
import { registerDecorator, ValidationOptions } from 'class-validator';
import { ValidationFailed } from './errors';
import { VALIDATION_MESSAGE_MAX_LENGTH } from './limits';

/** Every message of class-validator's errors, each naming its field (`parent.child` for nested ones). */
export function validationMessages(errors: ValidationError[], parent = ''): string[] {
  return errors.flatMap((error) => {
    const path = parent ? `${parent}.${error.property}` : error.property;
    const own = Object.values(error.constraints ?? {}).map((m) =>
      m.startsWith(error.property) ? m.replace(error.property, path) : `${path}: ${m}`,
    );
    return [...own, ...validationMessages(error.children ?? [], path)];
  });
}

/**
 * Strict input: unknown fields are refused (not silently dropped), strings are converted only where a
 * DTO says so with @Type, and messages name the field and rule without echoing the value.
 */
export function createValidationPipe(): ValidationPipe {
  return new StrictValidationPipe({
    whitelist: true,
    forbidNonWhitelisted: true,
    transform: true,
    validationError: { target: false, value: false },
    exceptionFactory: (errors) => new ValidationFailed(validationMessage(errors)),
  });
}

/**
 * The pipe's one message for all of `errors`, at most VALIDATION_MESSAGE_MAX_LENGTH characters (the
 * bound openapi.json declares): a body of a thousand unknown fields does not make a message of a
 * thousand sentences.
 */
export function validationMessage(errors: ValidationError[]): string {
  const message = validationMessages(errors).join('; ') || 'Invalid input';
  if (message.length <= VALIDATION_MESSAGE_MAX_LENGTH) return message;
  return `${message.slice(0, VALIDATION_MESSAGE_MAX_LENGTH - 1)}…`;
}

/**
 * Nest's ValidationPipe, minus the work an empty input does not need: most calls of the credentials
 * hot path carry no query string, and class-transformer + class-validator on `{}` cost more per
 * request than the route's own logic. Whether `{}` is valid for a DTO, and that it transforms to a
 * plain new instance, is learned from the full pipe on its first empty input; after that an empty
 * input of that DTO is answered with a new instance directly. A DTO that refuses `{}` (required
 * fields) keeps going through the full pipe every time.
 */
class StrictValidationPipe extends ValidationPipe {
  private readonly emptyIsValid = new Map<Type<unknown>, boolean>();

  override async transform(value: unknown, metadata: ArgumentMetadata): Promise<unknown> {
    if (metadata.type === 'body' || metadata.type === 'query') {
      const field = fieldWithLoneSurrogate(value);
      if (field !== undefined)
        throw new ValidationFailed(`${field} must be well-formed Unicode (no unpaired surrogates)`);
    }
    const metatype = metadata.metatype;
    if (!metatype || !isEmptyPlainObject(value) || !this.toValidate(metadata)) return super.transform(value, metadata);
    if (this.emptyIsValid.get(metatype)) return new metatype();
    const result: unknown = await super.transform(value, metadata);
    this.emptyIsValid.set(
      metatype,
      result instanceof metatype && JSON.stringify(result) === JSON.stringify(new metatype()),
    );
    return result;
  }
}

/**
 * An unpaired UTF-16 surrogate: JSON can carry one (`"\ud800"`), but UTF-8 cannot, so Postgres jsonb
 * refuses it (a 500 before this check) and text gets U+FFFD in its place (silently another value).
 */
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

const isLoneSurrogateText = (text: string) => LONE_SURROGATE.test(text);
const isNulText = (text: string) => text.includes('\u0000');

/** Whether any string in a JSON value, keys included, at any depth, passes `test`. */
function someText(value: unknown, test: (text: string) => boolean): boolean {
  if (typeof value === 'string') return test(value);
  if (Array.isArray(value)) return value.some((item) => someText(item, test));
  if (value && typeof value === 'object') return Object.entries(value).some(([k, v]) => test(k) || someText(v, test));
  return false;
}

const hasLoneSurrogate = (value: unknown): boolean => someText(value, isLoneSurrogateText);

/**
 * The top-level field of a body or query whose value (or a key inside it) holds an unpaired surrogate,
 * named when its name is a plain identifier (a message never echoes arbitrary input).
 */
function fieldWithLoneSurrogate(input: unknown): string | undefined {
  if (!input || typeof input !== 'object') return undefined;
  for (const [key, value] of Object.entries(input)) {
    if (isLoneSurrogateText(key) || hasLoneSurrogate(value)) return /^[A-Za-z]\w{0,63}$/.test(key) ? key : 'A field';
  }
  return undefined;
}

function isEmptyPlainObject(value: unknown): boolean {
  if (!value || typeof value !== 'object') return false;
  const proto = Object.getPrototypeOf(value) as unknown;
  if (proto !== Object.prototype && proto !== null) return false;
  for (const key in value) if (Object.hasOwn(value, key)) return false;
  return true;
}

export const UuidParam = new ParseUUIDPipe({
  exceptionFactory: () => new ValidationFailed('id must be a UUID'),
});

/** Postgres text and jsonb cannot hold U+0000; refuse it up front instead of failing with a 500. */
// eslint-disable-next-line no-control-regex -- matching U+0000 is the point
export const NO_NUL = /^[^\u0000]*$/;

const hasNul = (value: unknown): boolean => someText(value, isNulText);

/** Whether a JSON value holds text Postgres cannot store (U+0000 or an unpaired surrogate), in one walk. */
export const hasUnstorableText = (value: unknown): boolean =>
  someText(value, (text) => isNulText(text) || isLoneSurrogateText(text));

/** A plain JSON object (not an array) of at most `maxBytes` serialized, storable in jsonb. */
export function IsJsonObject(maxBytes: number, options?: ValidationOptions) {
  return (target: object, propertyName: string) =>
    registerDecorator({
      name: 'isJsonObject',
      target: target.constructor,
      propertyName,
      options,
      validator: {
        validate: (value: unknown) =>
          value !== null &&
          typeof value === 'object' &&
          !Array.isArray(value) &&
          Buffer.byteLength(JSON.stringify(value), 'utf8') <= maxBytes &&
          !hasNul(value),
        defaultMessage: () =>
          `${propertyName} must be a JSON object of at most ${maxBytes} bytes without U+0000 characters`,
      },
    });
}

/** RFC 3339 date-time (what JSON APIs mean by ISO 8601): `2030-01-02T03:04:05Z`, optional fraction and offset. */
export const RFC3339 =
  /^\d{4}-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])T([01]\d|2[0-3]):[0-5]\d:([0-5]\d|60)(\.\d{1,9})?(Z|[+-]([01]\d|2[0-3]):[0-5]\d)$/i;

/**
 * An RFC 3339 date-time of a day that exists: the pattern alone lets through 2026-02-30 and 2026-04-31,
 * which Date.parse quietly rolls over into the next month (an import would store 2 March). So the
 * written year, month, day, hour, minute and second must come back unchanged from Date; a leap second
 * (`:60`) does not, and is refused as before.
 */
export function isDateTime(value: unknown): value is string {
  if (typeof value !== 'string' || !RFC3339.test(value) || Number.isNaN(Date.parse(value))) return false;
  const [y, mo, d, h, mi, s] = value.slice(0, 19).split(/[-T:]/i).map(Number);
  const date = new Date(0);
  // setUTCFullYear, not Date.UTC: Date.UTC maps years 0-99 to 1900-1999.
  date.setUTCFullYear(y, mo - 1, d);
  date.setUTCHours(h, mi, s, 0);
  return (
    date.getUTCFullYear() === y &&
    date.getUTCMonth() === mo - 1 &&
    date.getUTCDate() === d &&
    date.getUTCHours() === h &&
    date.getUTCMinutes() === mi &&
    date.getUTCSeconds() === s
  );
}

export function IsDateTime(options?: ValidationOptions) {
  return (target: object, propertyName: string) =>
    registerDecorator({
      name: 'isDateTime',
      target: target.constructor,
      propertyName,
      options,
      validator: {
        validate: isDateTime,
        defaultMessage: () => `${propertyName} must be an RFC 3339 date-time such as 2030-01-02T03:04:05Z`,
      },
    });
}
