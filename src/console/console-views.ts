import type { FastifyViewOptions } from '@fastify/view';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { Eta } from 'eta';
import * as path from 'node:path';
import { CONSOLE_PATH } from './console-session';

/** Where the console's templates are (copied next to the compiled code by `nest build`). */
export const VIEWS_DIR = path.join(__dirname, 'views');

/**
 * @fastify/view with Eta for the console's server-rendered pages (src/console/views): every `<%= %>`
 * is HTML-escaped (autoEscape); `<%~ %>` is kept for the layout's body and the server-drawn SVG charts.
 * Templates are compiled once in production and re-read on every render otherwise.
 */
export function consoleViewOptions(production: boolean): FastifyViewOptions {
  return {
    engine: { eta: new Eta({ views: VIEWS_DIR, autoEscape: true, cache: production }) },
    templates: VIEWS_DIR,
    production,
  };
}

export type ConsolePage = 'overview' | 'connections' | 'webhooks' | 'api-keys';

/** A flash message: a fixed text chosen by the console (never user input or a provider's words). */
export interface Flash {
  kind: 'ok' | 'error';
  text: string;
}

/**
 * Renders `view` with what every page needs (the session's key name, the CSRF token for forms, the
 * page for the navigation) and sends it: HTML, never cached, status 200 unless given.
 */
export async function sendPage(
  request: FastifyRequest,
  reply: FastifyReply,
  view: string,
  data: Record<string, unknown> & { title: string; page?: ConsolePage; flash?: Flash },
  status = 200,
): Promise<void> {
  const session = request.consoleSession;
  const html = await reply.viewAsync(view, {
    base: CONSOLE_PATH,
    keyName: session?.key.name,
    csrf: session?.csrf,
    ...data,
  });
  void reply.status(status).header('Cache-Control', 'no-store').type('text/html; charset=utf-8').send(html);
}
