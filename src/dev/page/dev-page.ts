import { Connection } from '../../connections/connection.dto';

import { escapeHtml } from '../../common/html';

const esc = (s: string | null | undefined) => escapeHtml(s ?? '');
const cell = (v: Connection[(typeof FIELDS)[number]]) => (Array.isArray(v) ? v.join(' ') : v === null ? '' : String(v));

export interface DevPageModel {
  owner: string;
  providers: { name: string; displayName: string; sandbox: boolean }[];
  connections: Connection[];
  status?: string;
  error?: string;
  highlight?: string;
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

/** The development page at `/`: one click per provider starts a flow for a demo owner. */
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
        `<tr data-connection-id="${esc(c.id)}"${c.id === m.highlight ? ' class="new"' : ''}>${FIELDS.map((f) => `<td>${esc(cell(c[f]))}</td>`).join('')}</tr>`,
    )
    .join('\n');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>OAuth connection service — try it</title>
<style>body{font-family:system-ui,sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem;color:#1f2328}form{display:inline-block;margin:.25rem}
button{padding:.5rem 1rem;cursor:pointer}table{border-collapse:collapse;width:100%;margin-top:1rem}td,th{border:1px solid #ddd;padding:.3rem .5rem;font-size:.9rem;text-align:left}
.ok{background:#e6ffed;padding:.5rem}.err{background:#ffeef0;padding:.5rem}tr.new{background:#fffbdd}</style></head>
<body><h1>OAuth connection service</h1>
<p>Development page. Connections are made for the demo owner <code>${esc(m.owner)}</code>; tokens are never shown here.
API docs: <a href="/docs">/docs</a>.</p>
${banner}
<div>${buttons || '<p>No provider is configured.</p>'}</div>
<table id="connections"><thead><tr>${FIELDS.map((f) => `<th>${esc(f)}</th>`).join('')}</tr></thead><tbody>${rows}</tbody></table>
</body></html>`;
}
