import { Controller, Get, Param, Post, Req, Res, UseFilters, UseGuards } from '@nestjs/common';
import { RouteConfig } from '@nestjs/platform-fastify';
import { ApiExcludeController } from '@nestjs/swagger';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { ApiKey, CreatedApiKey } from '../auth/api-key.dto';
import { ApiKeysService, validateNewApiKey } from '../auth/api-keys.service';
import { Public } from '../auth/public.decorator';
import { SCOPE_DESCRIPTIONS, SCOPES } from '../auth/scopes';
import { ApiKeyFromEnvironment, ApiKeyNotFound, ValidationFailed } from '../common/errors';
import { ConsoleExceptionFilter } from './console.filter';
import { shownDate } from './console-dates';
import { ConsoleGuard } from './console.guard';
import { CONSOLE_PATH } from './console-session';
import { Flash, sendPage } from './console-views';

const FORM = { formBody: true } as const;

/** The flashes a redirect back may ask for (`?done=`): fixed texts, never anything the request brought. */
const DONE: Record<string, Flash> = {
  revoked: { kind: 'ok', text: 'The key is revoked: the API refuses it from now on.' },
  'not-found': { kind: 'error', text: 'That key is not active any more (already revoked?): nothing was changed.' },
  'from-environment': {
    kind: 'error',
    text: 'That key comes from API_KEYS: remove it there and restart the service to revoke it.',
  },
};

/** What the create form showed: kept when the form is shown again with an error. */
interface FormValues {
  name: string;
  scopes: string[];
}

const EMPTY_FORM: FormValues = { name: '', scopes: [] };

/** A form field that may come as one value or several (checkboxes): always a list of strings. */
const asList = (value: unknown): unknown[] => (value === undefined ? [] : Array.isArray(value) ? value : [value]);

const listUrl = (includeRevoked: boolean, done?: string) => {
  const params = new URLSearchParams();
  if (includeRevoked) params.set('includeRevoked', 'true');
  if (done) params.set('done', done);
  const query = params.toString();
  return `${CONSOLE_PATH}/api-keys${query ? `?${query}` : ''}`;
};

/**
 * API keys: those of API_KEYS (not revocable here), then the table's; creating one (the key is shown
 * once, on the page the form's POST answers with) and revoking one. Everything goes through
 * ApiKeysService, as the API does: the same validation, the same messages, the same rules.
 */
@ApiExcludeController()
@Public()
@UseGuards(ConsoleGuard)
@UseFilters(ConsoleExceptionFilter)
@Controller('admin/api-keys')
export class ConsoleKeysController {
  constructor(private readonly apiKeys: ApiKeysService) {}

  @Get()
  async list(@Req() request: FastifyRequest, @Res() reply: FastifyReply): Promise<void> {
    const query = (request.query ?? {}) as Record<string, unknown>;
    const done = typeof query.done === 'string' && Object.hasOwn(DONE, query.done) ? DONE[query.done] : undefined;
    await this.render(request, reply, { includeRevoked: query.includeRevoked === 'true', flash: done });
  }

  /**
   * Creates a key and answers with the page that shows it, this once (200, not a redirect: nothing
   * that could show it again is kept anywhere). A refused form comes back with the validation message.
   */
  @Post()
  @RouteConfig(FORM)
  async create(@Req() request: FastifyRequest, @Res() reply: FastifyReply): Promise<void> {
    const form = (request.body ?? {}) as Record<string, unknown>;
    const plain = { name: form.name, scopes: asList(form.scopes) };
    let created: CreatedApiKey;
    try {
      created = await this.apiKeys.create(await validateNewApiKey(plain));
    } catch (error) {
      if (!(error instanceof ValidationFailed)) throw error;
      const values: FormValues = {
        name: typeof form.name === 'string' ? form.name : '',
        scopes: plain.scopes.filter((s): s is string => typeof s === 'string'),
      };
      return this.render(request, reply, { form: values, flash: { kind: 'error', text: error.message } }, 400);
    }
    await this.render(request, reply, {
      created,
      flash: { kind: 'ok', text: 'The key is created. Copy it now: it is shown on this page only, never again.' },
    });
  }

  /** Revokes a table key (the API refuses it at once on this replica), then back to the list. */
  @Post(':id/revoke')
  @RouteConfig(FORM)
  async revoke(@Param('id') id: string, @Req() request: FastifyRequest, @Res() reply: FastifyReply): Promise<void> {
    const includeRevoked = (request.body as Record<string, unknown> | undefined)?.includeRevoked === 'true';
    let done = 'revoked';
    try {
      await this.apiKeys.revoke(id);
    } catch (error) {
      if (error instanceof ApiKeyNotFound) done = 'not-found';
      else if (error instanceof ApiKeyFromEnvironment) done = 'from-environment';
      else throw error;
    }
    void reply.redirect(listUrl(includeRevoked, done), 303);
  }

  private async render(
    request: FastifyRequest,
    reply: FastifyReply,
    options: { includeRevoked?: boolean; flash?: Flash; form?: FormValues; created?: CreatedApiKey },
    status = 200,
  ): Promise<void> {
    const includeRevoked = options.includeRevoked ?? false;
    const keys = await this.apiKeys.list(includeRevoked);
    const form = options.form ?? EMPTY_FORM;
    const sessionKeyId = request.consoleSession?.key.id;
    await sendPage(
      request,
      reply,
      'api-keys',
      {
        title: 'API keys',
        page: 'api-keys',
        flash: options.flash,
        includeRevoked,
        showUrl: listUrl(!includeRevoked),
        fromEnvironment: keys.filter((k) => k.source === 'environment').map((k) => this.row(k, sessionKeyId)),
        fromTable: keys.filter((k) => k.source === 'api').map((k) => this.row(k, sessionKeyId)),
        form,
        scopes: SCOPES.map((scope) => ({
          name: scope,
          id: `scope-${scope.replace(/[^a-z]/g, '-')}`,
          description: SCOPE_DESCRIPTIONS[scope],
          checked: form.scopes.includes(scope),
        })),
        created: options.created
          ? { key: options.created.key, name: options.created.name, scopes: options.created.scopes }
          : null,
      },
      status,
    );
  }

  private row(key: ApiKey, sessionKeyId: string | undefined) {
    return {
      id: key.id,
      name: key.name,
      scopes: key.scopes,
      prefix: key.prefix,
      createdAt: shownDate(key.createdAt),
      lastUsedAt: shownDate(key.lastUsedAt),
      revokedAt: shownDate(key.revokedAt),
      current: key.id === sessionKeyId,
    };
  }
}
