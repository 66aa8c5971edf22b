import type { NestFastifyApplication } from '@nestjs/platform-fastify';

/** One path of the router and the methods it answers, as Fastify registered them (`:param`, `*`). */
export interface AppRoute {
  path: string;
  methods: string[];
}

const BRANCH = /^((?:│ {3}| {4}|├── |└── )*)(.*)$/u;

/**
 * Every route the app's Fastify instance has (Nest's controllers, the docs, anything registered on
 * the instance directly), read from `printRoutes()`: its tree (default, common prefixes split at any
 * character) is walked and each node's text appended to its parent's, so a leaf's path is exactly the
 * registered one.
 */
export function routesOf(app: NestFastifyApplication): AppRoute[] {
  return parseRoutes(app.getHttpAdapter().getInstance().printRoutes());
}

export function parseRoutes(printed: string): AppRoute[] {
  const routes: AppRoute[] = [];
  const stack: string[] = [];
  for (const line of printed.split('\n')) {
    if (!line.trim()) continue;
    const [, indent, text] = BRANCH.exec(line)!;
    const depth = indent.length / 4;
    if (!Number.isInteger(depth) || depth < 1) throw new Error(`unexpected printRoutes line: ${line}`);
    const methods = / \(([A-Z, ]+)\)$/.exec(text);
    const segment = methods ? text.slice(0, methods.index) : text;
    if (stack.length < depth - 1) throw new Error(`printRoutes line without a parent: ${line}`);
    stack.length = depth - 1;
    const path = (stack[depth - 2] ?? '') + segment;
    stack.push(path);
    if (methods) routes.push({ path, methods: methods[1].split(', ').sort() });
  }
  return routes.sort((a, b) => a.path.localeCompare(b.path));
}

/** A URL that the route's pattern matches: each `:param` and `*` filled in with `value`. */
export function concretePath(path: string, value = '0b6a5a8e-3f2c-4d7e-9a1b-2c3d4e5f6a7b'): string {
  return path.replace(/:[A-Za-z0-9_]+/g, value).replace(/\*/g, 'x');
}
