import { Controller, Get, Headers, HttpCode, Inject, Options, Param, Query, Res } from '@nestjs/common';
import { ConfigType } from '@nestjs/config';
import {
  ApiExtension,
  ApiExcludeEndpoint,
  ApiHeader,
  ApiOkResponse,
  ApiOperation,
  ApiParam,
  ApiQuery,
  ApiTags,
} from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { Public } from '../auth/public.decorator';
import { ApiErrors } from '../common/api-errors.decorator';
import { DomainError, ValidationFailed } from '../common/errors';
import { UUID_SCHEMA } from '../common/limits';
import { appConfig } from '../config/app.config';
import { ObservedSession, SESSION_TOKEN_LENGTH, SESSION_TOKEN_PATTERN } from '../connect-sessions/connect-session.dto';
import { ConnectSessionsService, stateOf } from '../connect-sessions/connect-sessions.service';
import { allowedOrigin } from '../connect-sessions/return-url';
import { SessionState } from '../connect-sessions/session-outcome';
import { SessionObserver } from './session-observer';

export const OBSERVE_WAIT_MAX_SECONDS = 25;
export const OBSERVE_WAIT_DEFAULT_SECONDS = 20;
export const OBSERVE_TOKEN_HEADER = 'X-Observe-Token';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** One answer for an unknown session, a wrong token and no token: nothing tells them apart. */
class ObservedNotFound extends DomainError {
  constructor() {
    super('not_found', 404, 'No connect session with this id and observe token');
  }
}

/**
 * The observe channel: a browser that holds a session's observe token (handed over by the product's
 * backend with the link) learns how the flow ended, whatever became of the popup's opener. Public,
 * proven by the token only, read-only. Cross-origin reads are allowed from the origins of
 * ALLOWED_RETURN_URLS alone, without credentials.
 */
@ApiTags('connect-sessions')
@Public()
@Controller('connect/observe')
export class ObserveController {
  constructor(
    private readonly sessions: ConnectSessionsService,
    private readonly observer: SessionObserver,
    @Inject(appConfig.KEY) private readonly app: ConfigType<typeof appConfig>,
  ) {}

  @Get(':sessionId')
  // For the browser package (clients/browser), not for backends (they use getConnectSession with their
  // key): the generated backend client leaves it out, as it leaves out the proxy's operations.
  @ApiExtension('x-browser', true)
  @ApiOperation({
    operationId: 'observeConnectSession',
    summary: 'Wait for a connect session to end (for the browser; proven by the observe token)',
    description:
      'Long-poll: answers at once when the session is no longer `pending`, else when it ends or after `wait` seconds (then `pending`, or `expired`). No API key: the header `X-Observe-Token` (the session’s `observeToken`) is the proof; a wrong or missing token and an unknown session are the same 404 `not_found`. CORS: readable from the origins of ALLOWED_RETURN_URLS only. Rate-limited per client like /oauth/*.',
  })
  @ApiParam({ name: 'sessionId', schema: UUID_SCHEMA, description: 'The connect session’s id' })
  @ApiHeader({
    name: OBSERVE_TOKEN_HEADER,
    required: true,
    description: 'The session’s observeToken',
    schema: {
      type: 'string',
      minLength: SESSION_TOKEN_LENGTH,
      maxLength: SESSION_TOKEN_LENGTH,
      pattern: SESSION_TOKEN_PATTERN.source,
    },
  })
  @ApiQuery({
    name: 'wait',
    required: false,
    description: 'How long to wait for the end, in seconds',
    schema: {
      type: 'integer',
      format: 'int32',
      minimum: 0,
      maximum: OBSERVE_WAIT_MAX_SECONDS,
      default: OBSERVE_WAIT_DEFAULT_SECONDS,
    },
  })
  @ApiOkResponse({ type: ObservedSession })
  @ApiErrors(
    {
      status: 400,
      description: '`wait` is not an integer from 0 to 25',
      code: 'validation_failed',
      message: 'wait must be an integer from 0 to 25',
    },
    {
      status: 404,
      description: 'No such session, or not this observe token',
      code: 'not_found',
      message: 'No connect session with this id and observe token',
    },
  )
  async observe(
    @Param('sessionId') id: string,
    @Query('wait') wait: unknown,
    @Headers('x-observe-token') token: unknown,
    @Headers('origin') origin: unknown,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<ObservedSession> {
    // First, so errors are readable by an allowed page too.
    this.cors(reply, origin);
    reply.header('Cache-Control', 'no-store');
    const waitMs = waitSeconds(wait) * 1000;
    const session = UUID.test(id) ? await this.sessions.observed(id, typeof token === 'string' ? token : '') : null;
    if (!session) throw new ObservedNotFound();
    const gone = new AbortController();
    const leave = () => gone.abort();
    reply.raw.once('close', leave);
    // A client that left during the lookup above: its 'close' has passed already.
    if (reply.raw.destroyed || reply.request.raw.socket?.destroyed) gone.abort();
    try {
      const state = await this.observer.until(session.id, stateOf(session), waitMs, gone.signal);
      if (!state) throw new ObservedNotFound();
      return observedOf(state);
    } finally {
      reply.raw.off('close', leave);
    }
  }

  /** The CORS preflight: GET with the observe token's header, from an allowed origin; no credentials. */
  @Options(':sessionId')
  @ApiExcludeEndpoint()
  @HttpCode(204)
  preflight(@Headers('origin') origin: unknown, @Res({ passthrough: true }) reply: FastifyReply): void {
    this.cors(reply, origin);
    reply.header('Access-Control-Allow-Methods', 'GET');
    reply.header('Access-Control-Allow-Headers', OBSERVE_TOKEN_HEADER);
    reply.header('Access-Control-Max-Age', '600');
    reply.header('Cache-Control', 'no-store');
  }

  /** `Access-Control-Allow-Origin` only for an origin of ALLOWED_RETURN_URLS; the answer varies by Origin. */
  private cors(reply: FastifyReply, origin: unknown): void {
    reply.header('Vary', 'Origin');
    const allowed = typeof origin === 'string' ? allowedOrigin(origin, this.app.allowedReturnUrls) : null;
    if (allowed && allowed === origin) reply.header('Access-Control-Allow-Origin', allowed);
  }
}

/** `wait` in seconds: absent → the default; else a whole number from 0 to the maximum. */
function waitSeconds(wait: unknown): number {
  if (wait === undefined) return OBSERVE_WAIT_DEFAULT_SECONDS;
  if (typeof wait === 'string' && /^\d{1,2}$/.test(wait) && Number(wait) <= OBSERVE_WAIT_MAX_SECONDS)
    return Number(wait);
  throw new ValidationFailed(`wait must be an integer from 0 to ${OBSERVE_WAIT_MAX_SECONDS}`);
}

/** The observe answer: no id or expiry, no absent fields. */
function observedOf(state: SessionState): ObservedSession {
  const { status, connectionId, provider, error } = state;
  return {
    status,
    ...(connectionId !== undefined && { connectionId }),
    ...(provider !== undefined && { provider }),
    ...(error !== undefined && { error }),
  };
}
