import { parseForm } from '../../http/body-parsers';
import type { FastifyInstance, FastifyReply } from 'fastify';
import { parse as parseQueryString } from 'node:querystring';
import type { SandboxReply } from './simulators/wire';

// The Fastify side of the simulators: writing their replies, reading their form bodies.

const NO_STORE = { 'Cache-Control': 'no-store', Pragma: 'no-cache' };

export function send(res: FastifyReply, reply: SandboxReply): void {
  res.status(reply.status);
  res.headers(NO_STORE);
  if (reply.headers) res.headers(reply.headers);
  if (reply.location !== undefined) res.header('Location', reply.location);
  if (reply.html !== undefined) {
    res.headers({
      'Content-Security-Policy': "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'",
      'X-Frame-Options': 'DENY',
      'Referrer-Policy': 'no-referrer',
    });
    void res.type('text/html; charset=utf-8').send(reply.html);
  } else if (reply.json !== undefined) {
    void res.type('application/json; charset=utf-8').send(JSON.stringify(reply.json));
  } else {
    void res.send();
  }
}

/**
 * Form bodies (consent form, Keap and Webflow token calls) for the simulators' routes only: the app
 * itself takes JSON, and a form body sent to any other route is read and ignored, as before. Repeated
 * keys become arrays, which Params refuses like a real server.
 */
export function acceptFormBodies(fastify: FastifyInstance, bodyLimit: number): void {
  fastify.addContentTypeParser(
    'application/x-www-form-urlencoded',
    { parseAs: 'string', bodyLimit },
    (req, body, done) => {
      if (req.routeOptions.url?.startsWith('/sandbox/')) return done(null, parseQueryString(String(body)));
      // This parser replaces the app's for form bodies: routes that take forms (the console) still get them.
      if (req.routeOptions.config.formBody) parseForm(String(body), done);
      else done(null, undefined);
    },
  );
}
