import type { FastifyInstance, FastifyRequest } from 'fastify';
import { DomainError } from '../common/errors';

/** Request bodies larger than this are refused with 413 payload_too_large (before they are read). */
export const BODY_LIMIT_BYTES = 100 * 1024;
export const BODY_LIMIT_LABEL = '100 kB';
/** JSON nested deeper than this (objects and arrays) is refused with 400 invalid_json, before it is parsed. */
export const JSON_MAX_DEPTH = 64;
/** A form body with more fields than this is refused with 400 validation_failed. */
export const FORM_MAX_FIELDS = 1000;

type Done = (error: Error | null, body?: unknown) => void;

declare module 'fastify' {
  interface FastifyContextConfig {
    /** The route takes its body as bytes, whatever its type (the proxy passes it on as it came). */
    rawBody?: boolean;
    /** The route takes HTML form posts (application/x-www-form-urlencoded): the console. */
    formBody?: boolean;
    /** The route's own body limit, read when the route is registered (the proxy's PROXY_MAX_BODY_BYTES). */
    bodyLimit?: () => number;
  }
}

/** A route declared with `config.rawBody`: its body is kept as the bytes that came. */
const wantsRawBody = (request: FastifyRequest) => request.routeOptions.config.rawBody === true;

const invalidJson = () => new DomainError('invalid_json', 400, 'The request body is not valid JSON');
const tooDeep = () =>
  new DomainError('invalid_json', 400, `The request body is nested deeper than ${JSON_MAX_DEPTH} levels`);
const tooManyFields = () =>
  new DomainError('validation_failed', 400, `The form has more than ${FORM_MAX_FIELDS} fields`);
const unreadable = () => new DomainError('validation_failed', 415, 'The request body could not be read');
const UTF8 = /^utf-?8$/i;

/**
 * The API takes JSON only. As with Express's strict `json()` before: an empty body is `{}`, only an
 * object or array is accepted, and a parse failure is `invalid_json` with a fixed message (the JSON
 * parser's own message quotes the body, which may hold a token). Unlike body-parser, compressed bodies
 * (`Content-Encoding` other than identity) and charsets other than UTF-8 are refused with 415 rather than
 * decoded: no client of this API sends them, and each decoder is more code reading untrusted input.
 * `__proto__` and `constructor` keys are dropped (Fastify's secure-json-parse). JSON nested deeper than
 * JSON_MAX_DEPTH is refused before it is parsed: parsing it is cheap, but every layer after (validation,
 * transformation, logging) walks it recursively and would overflow the stack (a 500). Bodies of any other type
 * are read (within the limit) and ignored, as Express did: the route then sees no body and validation
 * says what is missing. Fastify does not read bodies of GET and HEAD requests at all.
 *
 * A route with `config.rawBody` gets every body as its bytes (a Buffer), unparsed, and may set its own
 * limit with `config.bodyLimit`.
 */
export function registerBodyParsers(fastify: FastifyInstance, bodyLimit: number): void {
  // A route's own limit (route config), applied as Fastify registers the route: the parsers read up to it.
  fastify.addHook('onRoute', (route) => {
    if (route.config?.bodyLimit) route.bodyLimit = route.config.bodyLimit();
  });
  const parse = fastify.getDefaultJsonParser('remove', 'remove');
  fastify.removeAllContentTypeParsers();
  // As bytes: decoding as it arrives would turn a body that is not UTF-8 into a Content-Length mismatch.
  fastify.addContentTypeParser(
    'application/json',
    { parseAs: 'buffer', bodyLimit },
    (request: FastifyRequest, body: Buffer, done: Done) => {
      if (wantsRawBody(request)) return done(null, body);
      if (!readable(request)) return done(unreadable());
      const text = body.toString('utf8');
      if (text.length === 0) return done(null, {});
      const first = text.trimStart()[0];
      if (first !== '{' && first !== '[') return done(invalidJson());
      if (nestedDeeperThan(text, JSON_MAX_DEPTH)) return done(tooDeep());
      void parse(request, text, (error: Error | null, value?: unknown) =>
        error ? done(invalidJson()) : done(null, value),
      );
    },
  );
  fastify.addContentTypeParser(
    '*',
    { parseAs: 'buffer', bodyLimit },
    (request: FastifyRequest, body: Buffer, done: Done) => {
      if (wantsRawBody(request)) return done(null, body);
      if (request.routeOptions.config.formBody && isForm(request)) {
        if (!readable(request)) return done(unreadable());
        return parseForm(body.toString('utf8'), done);
      }
      done(null, undefined);
    },
  );
}

/** UTF-8 (or no charset) and no Content-Encoding: what the parser can read as it arrives. */
function readable(request: FastifyRequest): boolean {
  const encoding = request.headers['content-encoding'];
  if (encoding !== undefined && encoding.toLowerCase() !== 'identity') return false;
  const charset = /;\s*charset\s*=\s*"?([^";\s]+)/i.exec(request.headers['content-type'] ?? '')?.[1];
  return charset === undefined || UTF8.test(charset);
}

/** An HTML form's body (application/x-www-form-urlencoded). */
export const isForm = (request: FastifyRequest) =>
  /^application\/x-www-form-urlencoded\s*(;|$)/i.test(request.headers['content-type'] ?? '');

/**
 * A form's fields: a name sent once is a string, a name sent several times (checkboxes) a list.
 * Undefined for a form of more than `maxFields` fields. Linear in the body: a repeated name appends to
 * its list (a copy per repeat made 100 kB of `a&a&a…` take seconds of CPU).
 */
export function formFields(text: string, maxFields = FORM_MAX_FIELDS): Record<string, string | string[]> | undefined {
  const fields: Record<string, string | string[]> = Object.create(null) as Record<string, string | string[]>;
  let count = 0;
  for (const [name, value] of new URLSearchParams(text)) {
    if (++count > maxFields) return undefined;
    const seen = fields[name];
    if (seen === undefined) fields[name] = value;
    else if (Array.isArray(seen)) seen.push(value);
    else fields[name] = [seen, value];
  }
  return fields;
}

/** A form body for a route that takes forms: its fields, or 400 validation_failed beyond FORM_MAX_FIELDS. */
export function parseForm(text: string, done: Done): void {
  const fields = formFields(text);
  if (fields) done(null, fields);
  else done(tooManyFields());
}

/**
 * Whether JSON text nests objects and arrays deeper than `max`: one pass over the characters, brackets
 * inside strings (and escaped quotes) not counted. Text that is not valid JSON may pass; the parser
 * refuses it next.
 */
export function nestedDeeperThan(text: string, max: number): boolean {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c /* \ */) i++;
      else if (c === 0x22 /* " */) inString = false;
    } else if (c === 0x22) inString = true;
    else if (c === 0x7b /* { */ || c === 0x5b /* [ */) {
      if (++depth > max) return true;
    } else if (c === 0x7d /* } */ || c === 0x5d /* ] */) depth--;
  }
  return false;
}
