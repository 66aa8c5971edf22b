import { ParseUUIDPipe, ValidationError, ValidationPipe } from '@nestjs/common';
import { registerDecorator, ValidationOptions } from 'class-validator';
import { ValidationFailed } from './errors';

function flatten(errors: ValidationError[], parent = ''): string[] {
  return errors.flatMap((error) => {
    const path = parent ? `${parent}.${error.property}` : error.property;
    const own = Object.values(error.constraints ?? {}).map((m) => (m.startsWith(error.property) ? m.replace(error.property, path) : `${path}: ${m}`));
    return [...own, ...flatten(error.children ?? [], path)];
  });
}

/**
 * Strict input: unknown fields are refused (not silently dropped), strings are converted only where a
 * DTO says so with @Type, and messages name the field and rule without echoing the value.
 */
export function createValidationPipe(): ValidationPipe {
  return new ValidationPipe({
    whitelist: true,
    forbidNonWhitelisted: true,
    transform: true,
    validationError: { target: false, value: false },
    exceptionFactory: (errors) => new ValidationFailed(flatten(errors).join('; ') || 'Invalid input'),
  });
}

export const UuidParam = new ParseUUIDPipe({
  exceptionFactory: () => new ValidationFailed('id must be a UUID'),
});

/** Postgres text and jsonb cannot hold U+0000; refuse it up front instead of failing with a 500. */
export const NO_NUL = /^[^\u0000]*$/;

function hasNul(value: unknown): boolean {
  if (typeof value === 'string') return value.includes('\u0000');
  if (Array.isArray(value)) return value.some(hasNul);
  if (value && typeof value === 'object') return Object.entries(value).some(([k, v]) => k.includes('\u0000') || hasNul(v));
  return false;
}

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
        defaultMessage: () => `${propertyName} must be a JSON object of at most ${maxBytes} bytes without U+0000 characters`,
      },
    });
}


/** RFC 3339 date-time (what JSON APIs mean by ISO 8601): `2030-01-02T03:04:05Z`, optional fraction and offset. */
export const RFC3339 = /^\d{4}-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])T([01]\d|2[0-3]):[0-5]\d:([0-5]\d|60)(\.\d{1,9})?(Z|[+-]([01]\d|2[0-3]):[0-5]\d)$/i;

export function IsDateTime(options?: ValidationOptions) {
  return (target: object, propertyName: string) =>
    registerDecorator({
      name: 'isDateTime',
      target: target.constructor,
      propertyName,
      options,
      validator: {
        validate: (value: unknown) => typeof value === 'string' && RFC3339.test(value) && !Number.isNaN(Date.parse(value)),
        defaultMessage: () => `${propertyName} must be an RFC 3339 date-time such as 2030-01-02T03:04:05Z`,
      },
    });
}
