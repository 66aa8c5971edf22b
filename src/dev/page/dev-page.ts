import { Connection } from '../../connections/connection.dto';

import { escapeHtml } from '../../common/html';
import { sampleCallFor } from './sample-calls';

const esc = (s: string | null | undefined) => escapeHtml(s ?? '');
const cell = (v: Connection[(typeof FIELDS)[number]]) => (Array.isArray(v) ? v.join(' ') : v === null ? '' : String(v));

export interface DevPageModel {
  owner: string;
  providers: { name: string; displayName: string; sandbox: boolean }[];
  connections: Connection[];
  status?: string;
  error?: string;
  highlight?: string;
  /** The answer of the last "Call the API" click, shown above the table. */
  call?: ApiCallResult;
}

/** One sample call made through the proxy for a connection, as the page shows it (never a token). */
export interface ApiCallResult {
  connectionId: string;
  provider: string;
  /** The call, e.g. `GET contacts?limit=5`. */
  label: string;
  /** The provider's HTTP status; absent when the service answered itself (`error`). */
  status?: number;
  contentType?: string;
  /** The provider's answer: JSON pretty-printed, anything else as text. */
  body?: string;
  /** Whether the answer was longer than what is shown. */
  truncated?: boolean;
  /** Why no answer of the provider came back (the service's error code and message). */
  error?: { code: string; message: string };
}

const FIELDS = [
  'provider',
  'accountId',
  'status',
  'teamName',
  'workspaceName',
  'scopes',
  'expiresAt',
  'hasRefreshToken',
] as const satisfies (keyof Connection)[];

/**
 * The development page at `/`: one click per provider starts a flow for a demo owner, one click per
 * connection makes a sample call of its provider's API through the proxy and shows the answer.
 */
export function renderDevPage(m: DevPageModel): string {
  const banner =
    m.status === 'connected'
      ? `<p class="ok" id="banner">Connected. Connection <code>${esc(m.highlight)}</code> is below.</p>`
      : m.status === 'error'
        ? `<p class="err" id="banner">The connection failed: <code>${esc(m.error)}</code></p>`
        : '';
  const buttons = m.providers
    .map(
      (p) =>
        `<form method="post" action="/dev/connect/${esc(p.name)}"><button id="connect-${esc(p.name)}" type="submit">Connect ${esc(p.displayName)}</button>${p.sandbox ? ' <small>(sandbox)</small>' : ''}</form>`,
    )
    .join('\n');
  const rows = m.connections
    .map(
      (c) =>
        `<tr data-connection-id="${esc(c.id)}"${c.id === m.highlight ? ' class="new"' : ''}>${FIELDS.map((f) => `<td>${esc(cell(c[f]))}</td>`).join('')}<td>${callButton(c)}</td></tr>`,
    )
    .join('\n');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>OAuth connection service — try it</title>
<style>body{font-family:system-ui,sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem;color:#1f2328}form{display:inline-block;margin:.25rem}
button{padding:.5rem 1rem;cursor:pointer}table{border-collapse:collapse;width:100%;margin-top:1rem}td,th{border:1px solid #ddd;padding:.3rem .5rem;font-size:.9rem;text-align:left}
.ok{background:#e6ffed;padding:.5rem}.err{background:#ffeef0;padding:.5rem}tr.new{background:#fffbdd}
td form{margin:0}td button{padding:.2rem .5rem}#call-result{border:1px solid #ddd;padding:0 1rem;margin:1rem 0}
pre{background:#f6f8fa;padding:.75rem;overflow:auto;max-height:30rem;font-size:.85rem}</style></head>
<body><h1>OAuth connection service</h1>
<p>Development page. Connections are made for the demo owner <code>${esc(m.owner)}</code>; tokens are never shown here.
API docs: <a href="/docs">/docs</a>.</p>
${banner}
${m.call ? renderCall(m.call) : ''}
<div>${buttons || '<p>No provider is configured.</p>'}</div>
<table id="connections"><thead><tr>${FIELDS.map((f) => `<th>${esc(f)}</th>`).join('')}<th>api</th></tr></thead><tbody>${rows}</tbody></table>
</body></html>`;
}

/** The "Call the API" button of a row: a form posting to the server route (no script, no token in the page). */
function callButton(c: Connection): string {
  const sample = sampleCallFor(c);
  if (!sample) return '<small>no sample call</small>';
  return `<form method="post" action="/dev/connections/${esc(c.id)}/call"><button id="call-${esc(c.id)}" type="submit" title="${esc(sample.label)}">Call the API</button></form>`;
}

function renderCall(r: ApiCallResult): string {
  const outcome = r.error
    ? `<p class="err" id="call-error">No answer from the provider: <code>${esc(r.error.code)}</code> ${esc(r.error.message)}</p>`
    : `<p class="${r.status !== undefined && r.status < 400 ? 'ok' : 'err'}">The provider answered <strong id="call-status">${esc(String(r.status))}</strong>${r.contentType ? ` <code>${esc(r.contentType)}</code>` : ''}${r.truncated ? ' (shortened)' : ''}</p>
<pre id="call-answer">${esc(r.body)}</pre>`;
  return `<section id="call-result"><h2>API call</h2>
<p><code>${esc(r.label)}</code> through the proxy for connection <code>${esc(r.connectionId)}</code> (${esc(r.provider)}), with its token.</p>
${outcome}</section>`;
}
