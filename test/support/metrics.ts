import type { HttpClientOf } from './app';

/** GET /metrics (with the test's admin key): the Prometheus text. */
export async function scrapeMetrics(t: Pick<HttpClientOf, 'api'>): Promise<string> {
  return (await t.api.get('/metrics').expect(200)).text;
}

/** A label set of a sample line, `{a="x",b="y"}`, with Prometheus's escapes (\\, \", \n) undone. */
function labelsOf(inner: string): Record<string, string> {
  const labels: Record<string, string> = {};
  for (const [, name, value] of inner.matchAll(/([A-Za-z_][A-Za-z0-9_]*)="((?:[^"\\]|\\.)*)"/g))
    labels[name] = value.replace(/\\(.)/g, (_, c: string) => (c === 'n' ? '\n' : c));
  return labels;
}

/**
 * One sample of a metric in the Prometheus text format: the value of the first line of `name` whose
 * labels include `labels` (a histogram's `_count`, `_sum` and `_bucket` are names of their own);
 * undefined when there is none.
 */
export function metricSample(text: string, name: string, labels: Record<string, string> = {}): number | undefined {
  for (const line of text.split('\n')) {
    if (!line.startsWith(`${name}{`) && !line.startsWith(`${name} `)) continue;
    const match = /^[^{ ]+(?:\{(.*)\})? (\S+)(?: \d+)?$/.exec(line);
    if (!match) continue;
    const got = labelsOf(match[1] ?? '');
    if (Object.entries(labels).every(([k, v]) => got[k] === v)) return Number(match[2]);
  }
  return undefined;
}

/** A counter's (or gauge's) sample, 0 when the line is not there yet (no event of those labels so far). */
export const metricCount = (text: string, name: string, labels: Record<string, string> = {}): number =>
  metricSample(text, name, labels) ?? 0;
