import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

const ROOT = path.resolve(__dirname, '..', '..');

interface Spec {
  paths: Record<
    string,
    Record<
      string,
      {
        parameters?: { name: string; in: string; required?: boolean }[];
        requestBody?: { content: Record<string, { schema: { $ref?: string } }> };
      }
    >
  >;
  components: { schemas: Record<string, { properties?: Record<string, unknown>; required?: string[] }> };
}

const spec = JSON.parse(fs.readFileSync(path.join(ROOT, 'openapi.json'), 'utf8')) as Spec;
const quote = (names: string[]) => (names.length ? names.map((n) => `'${n}'`).join(' | ') : 'never');

/**
 * An outside team generates its own client from openapi.json with openapi-typescript's default
 * options (not ours: clients/typescript passes defaultNonNullable: false) and calls the API omitting
 * every optional field. That must compile: every field the spec calls optional is optional in the
 * generated types, in every request body and every query.
 */
describe('openapi.json as an outside client generates it (openapi-typescript, default options)', () => {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'outside-client-'));
  afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

  it('types every optional request field and query parameter as optional', () => {
    const generate = spawnSync(
      process.execPath,
      [
        '--input-type=module',
        '-e',
        `import fs from 'node:fs';
         import openapiTS, { astToString } from 'openapi-typescript';
         const spec = JSON.parse(fs.readFileSync(process.argv[1], 'utf8'));
         fs.writeFileSync(process.argv[2], astToString(await openapiTS(spec)));`,
        path.join(ROOT, 'openapi.json'),
        path.join(tmp, 'schema.ts'),
      ],
      { cwd: ROOT, encoding: 'utf8', timeout: 60_000 },
    );
    expect(generate.stderr).toBe('');
    expect(generate.status).toBe(0);

    const checks: string[] = [];
    const bodies = new Set<string>();
    for (const [route, item] of Object.entries(spec.paths)) {
      for (const [method, op] of Object.entries(item)) {
        const ref = op.requestBody?.content['application/json']?.schema.$ref;
        if (ref) bodies.add(ref.split('/').pop()!);
        const query = (op.parameters ?? []).filter((p) => p.in === 'query');
        if (query.length) {
          const optional = query.filter((p) => !p.required).map((p) => p.name);
          checks.push(
            `check<OptionalKeys<NonNullable<paths['${route}']['${method}']['parameters']['query']>>, ${quote(optional)}>(true);`,
          );
        }
      }
    }
    for (const name of bodies) {
      const schema = spec.components.schemas[name];
      const optional = Object.keys(schema.properties ?? {}).filter((p) => !(schema.required ?? []).includes(p));
      checks.push(`check<OptionalKeys<components['schemas']['${name}']>, ${quote(optional)}>(true);`);
    }
    expect(bodies.size).toBeGreaterThanOrEqual(3);
    expect(checks.join('\n')).toContain('ImportConnectionRequest');

    fs.writeFileSync(
      path.join(tmp, 'calls.ts'),
      `import type { components, paths } from './schema';
type OptionalKeys<T> = { [K in keyof T]-?: object extends Pick<T, K> ? K : never }[keyof T];
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
declare function check<A, B>(same: Same<A, B>): void;
${checks.join('\n')}
// The call the issue names: an import with only the required fields.
export const minimal: components['schemas']['ImportConnectionRequest'] = {
  provider: 'keap',
  ownerId: 'user-1',
  accessToken: 'at',
};
`,
    );
    const tsc = spawnSync(
      process.execPath,
      [
        path.join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc'),
        '--noEmit',
        '--strict',
        '--skipLibCheck',
        '--target',
        'ES2022',
        '--module',
        'node16',
        path.join(tmp, 'calls.ts'),
      ],
      { cwd: ROOT, encoding: 'utf8', timeout: 120_000 },
    );
    expect(tsc.stdout + tsc.stderr).toBe('');
    expect(tsc.status).toBe(0);
  }, 180_000);
});
