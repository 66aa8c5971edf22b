import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

const ROOT = path.resolve(__dirname, '..', '..');
const SPECTRAL = path.join(ROOT, 'node_modules', '.bin', 'spectral');

interface SpectralResult {
  code: string;
  severity: number;
  path: string[];
}

/** `spectral lint <file> --ruleset .spectral.yaml`, results as JSON (severity 0 = error). */
function lint(file: string): { status: number | null; results: SpectralResult[]; output: string } {
  const result = spawnSync(SPECTRAL, ['lint', file, '--ruleset', '.spectral.yaml', '--format', 'json', '--quiet'], {
    cwd: ROOT,
    encoding: 'utf8',
    timeout: 60_000,
  });
  const output = `${result.stdout}${result.stderr}`;
  const json = result.stdout.slice(result.stdout.indexOf('['));
  return { status: result.status, results: JSON.parse(json) as SpectralResult[], output };
}

describe('openapi.json and Spectral (.spectral.yaml: spectral:oas and the OWASP limit rules)', () => {
  let tmp: string;

  beforeAll(() => {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'spectral-'));
  });
  afterAll(() => {
    fs.rmSync(tmp, { recursive: true, force: true });
  });

  it('passes with no error: every string bounded, every array bounded, every integer with a format', () => {
    const { status, results, output } = lint('openapi.json');
    const errors = results.filter((r) => r.severity === 0).map((r) => `${r.code} at ${r.path.join('.')}`);
    expect(errors).toEqual([]);
    expect(status).toBe(0);
    expect(output).not.toContain('Error running Spectral');
  }, 70_000);

  it('fails a document with an unbounded string, array or integer (the ruleset is in force, from node_modules)', () => {
    const spec = {
      openapi: '3.0.0',
      info: { title: 'unbounded', version: '1', description: 'x', contact: { name: 'x' } },
      servers: [{ url: '/' }],
      tags: [{ name: 't' }],
      paths: {
        '/things': {
          get: {
            operationId: 'listThings',
            description: 'x',
            tags: ['t'],
            responses: {
              '200': {
                description: 'ok',
                content: {
                  'application/json': {
                    schema: {
                      type: 'object',
                      properties: {
                        name: { type: 'string' },
                        ids: { type: 'array', maxItems: 5, items: { type: 'string', format: 'uuid', maxLength: 36 } },
                        tags: { type: 'array', items: { type: 'string', enum: ['a'] } },
                        count: { type: 'integer' },
                      },
                    },
                  },
                },
              },
            },
          },
        },
      },
    };
    const file = path.join(tmp, 'unbounded.json');
    fs.writeFileSync(file, JSON.stringify(spec));
    const { status, results } = lint(file);
    const errors = results.filter((r) => r.severity === 0).map((r) => `${r.code} ${r.path.at(-1)}`);
    expect(errors.sort()).toEqual([
      'owasp:api4:2023-array-limit tags',
      'owasp:api4:2023-integer-format count',
      'owasp:api4:2023-string-limit name',
    ]);
    expect(status).toBe(1);
  }, 70_000);

  it('holds in OpenAPI 3.1 too: nullable type lists and webhook bodies are checked', () => {
    const spec = {
      openapi: '3.1.0',
      info: { title: 'unbounded', version: '1', description: 'x', contact: { name: 'x' } },
      servers: [{ url: '/' }],
      tags: [{ name: 't' }],
      paths: {},
      webhooks: {
        'thing.changed': {
          post: {
            operationId: 'thingChanged',
            description: 'x',
            tags: ['t'],
            requestBody: {
              content: {
                'application/json': {
                  schema: {
                    type: 'object',
                    properties: {
                      name: { type: ['string', 'null'] },
                      ids: { type: ['array', 'null'], items: { type: 'string', format: 'uuid', maxLength: 36 } },
                      count: { type: ['integer', 'null'] },
                      bounded: { type: ['string', 'null'], maxLength: 5 },
                      payload: { description: 'any JSON value' },
                    },
                  },
                },
              },
            },
            responses: { '2XX': { description: 'ok' } },
          },
        },
      },
    };
    const file = path.join(tmp, 'unbounded-3.1.json');
    fs.writeFileSync(file, JSON.stringify(spec));
    const { status, results } = lint(file);
    const errors = results.filter((r) => r.severity === 0).map((r) => `${r.code} ${r.path.at(-1)}`);
    expect(errors.sort()).toEqual([
      'owasp:api4:2023-array-limit ids',
      'owasp:api4:2023-integer-format count',
      'owasp:api4:2023-string-limit name',
    ]);
    expect(status).toBe(1);
  }, 70_000);

  it('is part of `npm run lint`', () => {
    const { scripts } = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as {
      scripts: Record<string, string>;
    };
    expect(scripts['lint:openapi']).toContain('spectral lint openapi.json --ruleset .spectral.yaml');
    expect(scripts.lint).toContain('npm run -s lint:openapi');
  });
});
