import Fastify, { FastifyInstance } from 'fastify';
import { gzipSync } from 'node:zlib';
import { DomainError } from '../../src/common/errors';
import { registerBodyParsers } from '../../src/http/body-parsers';

const LIMIT = 1024;

/** A bare Fastify (no app, no socket: inject only) with the service's parsers and an echo route. */
async function server(): Promise<FastifyInstance> {
  const fastify = Fastify({ bodyLimit: LIMIT });
  registerBodyParsers(fastify, LIMIT);
  fastify.setErrorHandler((error: Error & { statusCode?: number; code?: string }, _request, reply) => {
    if (error instanceof DomainError)
      return reply.status(error.status).send({ code: error.code, message: error.message });
    return reply.status(error.statusCode ?? 500).send({ code: error.code ?? 'internal_error', message: error.message });
  });
  fastify.post('/echo', (request, reply) => reply.send({ body: request.body === undefined ? '<none>' : request.body }));
  await fastify.ready();
  return fastify;
}

describe('registerBodyParsers', () => {
  let fastify: FastifyInstance;
  beforeAll(async () => {
    fastify = await server();
  });
  afterAll(() => fastify.close());

  const post = (payload: string | Buffer, headers: Record<string, string> = { 'content-type': 'application/json' }) =>
    fastify.inject({ method: 'POST', url: '/echo', payload, headers });

  it.each([
    ['an object', '{"a":1}', { a: 1 }],
    ['an array', '[1,2]', [1, 2]],
    ['an object after whitespace', ' \n {"a":"é"}', { a: 'é' }],
    ['an empty body, as {}', '', {}],
  ])('parses %s', async (_name, payload, expected) => {
    const res = await post(payload);
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({ body: expected });
  });

  it.each(['application/json; charset=utf-8', 'application/json; charset="UTF8"', 'application/json;charset=UTF-8'])(
    'reads %s',
    async (contentType) => {
      const res = await post('{"a":1}', { 'content-type': contentType });
      expect(res.json()).toEqual({ body: { a: 1 } });
    },
  );

  it.each([
    ['a number', '1'],
    ['a string', '"text"'],
    ['null', 'null'],
    ['true', 'true'],
    ['broken JSON', '{"a":'],
    ['trailing garbage', '{"a":1} x'],
  ])('refuses %s as invalid_json, without quoting the body', async (_name, payload) => {
    const res = await post(payload.replace('text', 'at-SECRET'));
    expect(res.statusCode).toBe(400);
    expect(res.json()).toEqual({ code: 'invalid_json', message: 'The request body is not valid JSON' });
  });

  it('drops __proto__ and constructor keys', async () => {
    const res = await post('{"a":1,"__proto__":{"admin":true},"constructor":{"prototype":{"x":1}}}');
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({ body: { a: 1 } });
  });

  it.each([
    ['a latin-1 charset', { 'content-type': 'application/json; charset=latin1' }],
    ['a UTF-16 charset', { 'content-type': 'application/json; charset=utf-16' }],
    ['gzip', { 'content-type': 'application/json', 'content-encoding': 'gzip' }],
  ])('refuses %s with 415 instead of decoding it', async (_name, headers: Record<string, string>) => {
    const payload = headers['content-encoding'] ? gzipSync('{"a":1}') : '{"a":1}';
    const res = await post(payload, headers);
    expect(res.statusCode).toBe(415);
    expect(res.json()).toMatchObject({ code: 'validation_failed' });
  });

  it('accepts Content-Encoding: identity', async () => {
    const res = await post('{"a":1}', { 'content-type': 'application/json', 'content-encoding': 'Identity' });
    expect(res.json()).toEqual({ body: { a: 1 } });
  });

  it('reads a body of any other type and ignores it', async () => {
    const res = await post('a=1&b=2', { 'content-type': 'application/x-www-form-urlencoded' });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({ body: '<none>' });
  });

  it.each([
    ['a JSON', 'application/json'],
    ['a text/plain', 'text/plain'],
  ])('refuses %s body over the limit with 413', async (_name, contentType) => {
    const res = await post(`{"a":"${'x'.repeat(LIMIT)}"}`, { 'content-type': contentType });
    expect(res.statusCode).toBe(413);
  });
});
