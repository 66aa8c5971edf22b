import type { OpenAPIObject } from '@nestjs/swagger';

type Json = Record<string, unknown>;

/** Keys whose value maps names to objects (a property named `example` or `enum` is still a schema). */
const MAPS = new Set([
  'paths',
  'webhooks',
  'schemas',
  'parameters',
  'responses',
  'requestBodies',
  'headers',
  'securitySchemes',
  'callbacks',
  'links',
  'content',
  'encoding',
  'properties',
  'patternProperties',
  'definitions',
  '$defs',
]);
/** Keys whose value is data, not schemas: never rewritten. */
const DATA = new Set(['example', 'examples', 'default', 'enum', 'const']);
/** What a schema says about itself rather than about the value: stays outside `anyOf` below. */
const ANNOTATIONS = ['title', 'description', 'example', 'examples', 'deprecated', 'readOnly', 'writeOnly'];

/** A 3.0 schema's own keywords as 3.1 (JSON Schema 2020-12) writes them; its subschemas are left to the walk. */
function schema31(node: Json): Json {
  const { nullable, ...rest } = node;
  if (typeof rest.exclusiveMinimum === 'boolean') {
    if (rest.exclusiveMinimum) rest.exclusiveMinimum = rest.minimum;
    else delete rest.exclusiveMinimum;
    if (rest.exclusiveMinimum !== undefined) delete rest.minimum;
  }
  if (typeof rest.exclusiveMaximum === 'boolean') {
    if (rest.exclusiveMaximum) rest.exclusiveMaximum = rest.maximum;
    else delete rest.exclusiveMaximum;
    if (rest.exclusiveMaximum !== undefined) delete rest.maximum;
  }
  if (nullable !== true) return rest;
  const composed = ['$ref', 'allOf', 'anyOf', 'oneOf'].some((key) => key in rest);
  if (typeof rest.type === 'string' && !composed) {
    const values = rest.enum as unknown[] | undefined;
    return {
      ...rest,
      type: [rest.type, 'null'],
      ...(values && !values.includes(null) && { enum: [...values, null] }),
    };
  }
  // A reference (Nest writes `{allOf: [{$ref}], type: 'object', nullable: true}`) or a composition:
  // `type: [object, null]` would still demand what the reference demands, so it is "either, or null".
  const annotations = Object.fromEntries(ANNOTATIONS.filter((key) => key in rest).map((key) => [key, rest[key]]));
  const constraints = Object.fromEntries(Object.entries(rest).filter(([key]) => !ANNOTATIONS.includes(key)));
  const allOf = constraints.allOf as unknown[] | undefined;
  const onlyOneReference =
    allOf?.length === 1 && Object.keys(constraints).every((key) => key === 'allOf' || key === 'type');
  return { ...annotations, anyOf: [onlyOneReference ? allOf[0] : constraints, { type: 'null' }] };
}

function walk(node: unknown, isMap: boolean): unknown {
  if (Array.isArray(node)) return node.map((item) => walk(item, false));
  if (!node || typeof node !== 'object') return node;
  if (isMap) return Object.fromEntries(Object.entries(node).map(([name, value]) => [name, walk(value, false)]));
  // Only a schema (or a 3.1 document, which has no such keys elsewhere) says `nullable` or `exclusiveM…`.
  const own = schema31(node as Json);
  return Object.fromEntries(
    Object.entries(own).map(([key, value]) =>
      DATA.has(key) || key.startsWith('x-') ? [key, value] : [key, walk(value, MAPS.has(key))],
    ),
  );
}

/**
 * The document as OpenAPI 3.1, for its `webhooks` (a 3.1 member). Nest's Swagger module writes 3.0
 * schemas whatever version it is told (`nullable: true`, boolean `exclusiveMinimum`), which 3.1 reads
 * as JSON Schema 2020-12, where `nullable` means nothing: each becomes what 3.1 says for the same
 * values (`type: [string, null]`, `anyOf: [{$ref}, {type: null}]`, numeric bounds). Nothing else changes.
 */
export function toOpenApi31(document: OpenAPIObject): OpenAPIObject {
  return { ...(walk(document, false) as OpenAPIObject), openapi: '3.1.0' };
}
