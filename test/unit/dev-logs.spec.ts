import { createRootLogger } from '../../src/common/logging';
import { LogCapture } from '../support/logs';

/** A root logger writing to a capture, as createApp makes it for each NODE_ENV. */
function loggerFor(nodeEnv: 'development' | 'production' | 'test') {
  const capture = new LogCapture();
  return { log: createRootLogger('info', { nodeEnv, stream: capture }), capture };
}

const REQUEST = { req: { id: 'req-7f3a', method: 'GET', path: '/connections' } };

describe('log format by NODE_ENV', () => {
  it.each(['production', 'test'] as const)('%s: JSON lines, redacted, as before', (nodeEnv) => {
    const { log, capture } = loggerFor(nodeEnv);
    log.child(REQUEST).info({ res: { statusCode: 200 }, responseTime: 3 }, 'request completed');
    log.info({ accessToken: 'leak-1', nested: { client_secret: 'leak-2' } }, 'probe');

    const entries = capture.entries();
    expect(entries).toHaveLength(2);
    expect(entries[0]).toMatchObject({ level: 30, msg: 'request completed', ...REQUEST, res: { statusCode: 200 } });
    expect(entries[0]).toHaveProperty('pid');
    expect(entries[1]).toMatchObject({ accessToken: '[redacted]', nested: { client_secret: '[redacted]' } });
    expect(capture.text).not.toMatch(/leak-/);
  });

  describe('development', () => {
    it('writes one readable line per event: time, level, request summary and request id, no pid or hostname', () => {
      const { log, capture } = loggerFor('development');
      log.child(REQUEST).info({ res: { statusCode: 200 }, responseTime: 3 }, 'request completed');
      log.child(REQUEST).warn({ res: { statusCode: 404 }, responseTime: 12 }, 'request completed');

      expect(capture.lines).toHaveLength(2);
      expect(capture.lines[0]).toMatch(/^\d\d:\d\d:\d\d {2}INFO: GET \/connections 200 3 ms req=req-7f3a\n$/);
      expect(capture.lines[1]).toMatch(/^\d\d:\d\d:\d\d {2}WARN: GET \/connections 404 12 ms req=req-7f3a\n$/);
      expect(capture.text).not.toContain(String(process.pid));
      // No colours into a capture (or a pipe): only a terminal gets them.
      expect(capture.text).not.toContain('\u001b[');
    });

    it('shows the Nest context, the fields (connection ids) and the request being served on the same line', () => {
      const { log, capture } = loggerFor('development');
      log
        .child(REQUEST)
        .warn(
          { context: 'ConnectionsService', connectionId: 'c0ffee00-0000-4000-8000-000000000001', provider: 'keap' },
          'revocation failed; deleting anyway',
        );
      log.info({ context: 'OAuthHousekeeping', states: 2, detail: { kind: 'transient' } }, 'purged');

      expect(capture.lines).toHaveLength(2);
      expect(capture.lines[0]).toMatch(
        /^\d\d:\d\d:\d\d {2}WARN: \[ConnectionsService\] revocation failed; deleting anyway connectionId=c0ffee00-0000-4000-8000-000000000001 provider=keap req=req-7f3a\n$/,
      );
      expect(capture.lines[1]).toMatch(/ INFO: \[OAuthHousekeeping\] purged states=2 detail=\{"kind":"transient"\}\n$/);
    });

    it('redacts exactly as the JSON output does (redaction happens before the formatting)', () => {
      const { log, capture } = loggerFor('development');
      log.info(
        {
          accessToken: 'leak-1',
          nested: { client_secret: 'leak-2', deeper: { refresh_token: 'leak-3' } },
          headers: { authorization: 'Bearer leak-4' },
        },
        'redaction probe',
      );
      log.info({ query: { code: 'leak-5', state: 'leak-6', page: 2 } }, 'oauth query');

      expect(capture.lines).toHaveLength(2);
      expect(capture.lines[0]).toContain('redaction probe accessToken="[redacted]"');
      expect(capture.lines[0]).toContain('"client_secret":"[redacted]"');
      expect(capture.lines[1]).toContain('oauth query query={"code":"[redacted]","state":"[redacted]","page":2}');
      expect(capture.text).not.toMatch(/leak-/);
    });

    it('keeps a message with line breaks or escape sequences on its one line', () => {
      const { log, capture } = loggerFor('development');
      log.info('first\n12:00:00  INFO: forged \u001b[31mred');

      expect(capture.lines).toHaveLength(1);
      expect(capture.lines[0].split('\n')).toEqual([
        expect.stringContaining('first\\n12:00:00  INFO: forged \\u001b[31mred'),
        '',
      ]);
    });

    it('puts an error’s type, message and stack under its line', () => {
      const { log, capture } = loggerFor('development');
      log.error({ context: 'AllExceptionsFilter', err: new TypeError('boom') }, 'unhandled error');

      const [line, ...rest] = capture.text.split('\n');
      expect(line).toMatch(/^\d\d:\d\d:\d\d ERROR: \[AllExceptionsFilter\] unhandled error/);
      const block = rest.join('\n');
      expect(block).toContain('"type": "TypeError"');
      expect(block).toContain('"message": "boom"');
      expect(block).toContain('TypeError: boom');
      expect(block).toMatch(/^ {4}err: \{/);
    });

    it('leaves out lines below the level', () => {
      const { log, capture } = loggerFor('development');
      log.debug('not shown');
      expect(capture.lines).toEqual([]);
    });
  });
});
