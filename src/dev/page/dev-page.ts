import { Connection } from '../../connections/connection.dto';

import { escapeHtml } from '../../common/html';
import { DEV_PAGE_SCRIPT } from './dev-script';
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
  /** Per connection whose provider has events: what the page offers and shows of them. */
  events?: ReadonlyMap<string, ConnectionEvents>;
  /** Where events received are forwarded: whether WEBHOOK_URL is set, and the console's list of deliveries. */
  forwarding?: { webhookUrl: boolean; deliveriesUrl?: string };
  /** The answer of the last "Subscribe" or "Send a test event" click, shown above the table. */
  action?: EventsActionResult;
  /** The CSP nonce of the page's script (dev-script.ts: Connect in a popup); no script without it. */
  scriptNonce?: string;
}

/** A connection's provider events as the page shows them (docs/events.md): never a payload, URL token or secret. */
export interface ConnectionEvents {
  /** What Subscribe may ask for (its select, the first selected); empty when the service cannot subscribe. */
  names: string[];
  /** Whether the provider's simulator can send a test event. */
  testEvent: boolean;
  subscriptions: { id: string; events: string[]; status: string }[];
  /** The latest inbound events, newest first. */
  latest: ReceivedEvent[];
}

export interface ReceivedEvent {
  type: string;
  receivedAt: string;
  /** Whether it became a `provider.event` delivery (false: no WEBHOOK_URL when it came). */
  forwarded: boolean;
  /** That delivery's state (pending, delivered, failed); null once purged. */
  delivery: string | null;
}

/** One "Subscribe" or "Send a test event", run in-process for a connection, as the page shows it. */
export interface EventsActionResult {
  action: 'subscribe' | 'test-event';
  connectionId: string;
  provider: string;
  /** The API call it stands for, e.g. `POST /connections/{id}/subscriptions {"events":["contact.add"]}`. */
  label: string;
  /** The HTTP status that call answers; absent when nothing was called. */
  status?: number;
  /** Its answer: JSON pretty-printed, secret-looking fields and URL tokens hidden. */
  body?: string;
  error?: { code: string; message: string };
  /** A test event that found no webhook of the account to go to. */
  nothingSent?: boolean;
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
 * The development page at `/`: one click per provider starts a flow for a demo owner (in a popup with
 * the browser package when scripts run, a full-page redirect otherwise), one click per
 * connection makes a sample call of its provider's API through the proxy and shows the answer; per
 * connection whose provider has events, Subscribe and Send a test event, and below the table its
 * subscriptions and latest events.
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
        `<form method="post" action="/dev/connect/${esc(p.name)}" data-connect="${esc(p.name)}"><button id="connect-${esc(p.name)}" type="submit">Connect ${esc(p.displayName)}</button>${p.sandbox ? ' <small>(sandbox)</small>' : ''}</form>`,
    )
    .join('\n');
  const rows = m.connections
    .map(
      (c) =>
        `<tr data-connection-id="${esc(c.id)}"${c.id === m.highlight ? ' class="new"' : ''}>${FIELDS.map((f) => `<td>${esc(cell(c[f]))}</td>`).join('')}<td>${callButton(c)}</td><td>${eventButtons(c, m.events?.get(c.id))}</td></tr>`,
    )
    .join('\n');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>OAuth connection service — try it</title>
<style>body{font-family:system-ui,sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem;color:#1f2328}form{display:inline-block;margin:.25rem}
button{padding:.5rem 1rem;cursor:pointer}table{border-collapse:collapse;width:100%;margin-top:1rem}td,th{border:1px solid #ddd;padding:.3rem .5rem;font-size:.9rem;text-align:left}
.ok{background:#e6ffed;padding:.5rem}.err{background:#ffeef0;padding:.5rem}tr.new{background:#fffbdd}
td form{margin:0}td button{padding:.2rem .5rem}#call-result,#action-result{border:1px solid #ddd;padding:0 1rem;margin:1rem 0}
td form+form{margin-top:.25rem}td select{max-width:11rem}caption{text-align:left;font-weight:600;padding:.25rem 0}section.events table{margin-top:.5rem}
.vh{position:absolute;width:1px;height:1px;margin:-1px;padding:0;overflow:hidden;clip:rect(0,0,0,0);white-space:nowrap;border:0}
pre{background:#f6f8fa;padding:.75rem;overflow:auto;max-height:30rem;font-size:.85rem}</style></head>
<body><h1>OAuth connection service</h1>
<p>Development page. Connections are made for the demo owner <code>${esc(m.owner)}</code>; tokens are never shown here.
API docs: <a href="/docs">/docs</a>.</p>
${banner}
${m.call ? renderCall(m.call) : ''}
${m.action ? renderAction(m.action) : ''}
<div>${buttons || '<p>No provider is configured.</p>'}</div>
<p id="connect-status" role="status"></p>
<table id="connections"><thead><tr>${FIELDS.map((f) => `<th>${esc(f)}</th>`).join('')}<th>api</th><th>events</th></tr></thead><tbody>${rows}</tbody></table>
${m.events?.size ? renderEvents(m) : ''}
${m.scriptNonce ? `<script type="module" nonce="${esc(m.scriptNonce)}">\n${DEV_PAGE_SCRIPT}</script>` : ''}
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

/** The provider and account of a row, for buttons and labels that repeat on every row (screen readers). */
const rowName = (c: Connection) => `${c.provider} ${c.accountId}`;

/**
 * The events buttons of a row: Subscribe (one event, from a select of the provider's names) and Send a
 * test event (the sandbox's simulators only). Plain forms posting to server routes, as "Call the API".
 */
function eventButtons(c: Connection, events: ConnectionEvents | undefined): string {
  if (!events) return '<small>no events</small>';
  const id = esc(c.id);
  const who = `<span class="vh"> (${esc(rowName(c))})</span>`;
  const options = events.names.map((name, i) => `<option${i === 0 ? ' selected' : ''}>${esc(name)}</option>`);
  const subscribe = events.names.length
    ? `<form method="post" action="/dev/connections/${id}/subscriptions"><label class="vh" for="event-${id}">Event to subscribe to (${esc(rowName(c))})</label><select id="event-${id}" name="event">${options.join('')}</select> <button id="subscribe-${id}" type="submit">Subscribe${who}</button></form>`
    : '';
  const test = events.testEvent
    ? `<form method="post" action="/dev/connections/${id}/test-event"><button id="test-event-${id}" type="submit">Send a test event${who}</button></form>`
    : '';
  return subscribe + test || '<small>no events</small>';
}

function renderAction(r: EventsActionResult): string {
  const who = r.action === 'subscribe' ? 'The service' : 'The simulator';
  const answered =
    r.status === undefined
      ? ''
      : `<p class="${r.status < 400 ? 'ok' : 'err'}">${who} answered <strong id="action-status">${esc(String(r.status))}</strong></p>`;
  const outcome = r.error
    ? `<p class="err" id="action-error"><code>${esc(r.error.code)}</code> ${esc(r.error.message)}</p>`
    : `<pre id="action-answer">${esc(r.body)}</pre>`;
  const note = r.nothingSent
    ? '<p class="err" id="action-note">No webhook of this account receives a test event: press Subscribe first.</p>'
    : '';
  return `<section id="action-result" aria-labelledby="action-title"><h2 id="action-title">${r.action === 'subscribe' ? 'Subscribe' : 'Test event'}</h2>
<p><code>${esc(r.label)}</code> for connection <code>${esc(r.connectionId)}</code> (${esc(r.provider)}), run by the page in-process.</p>
${answered}
${outcome}${note}</section>`;
}

/** Below the table: per connection with subscriptions or events, both (never a payload). */
function renderEvents(m: DevPageModel): string {
  const forwarding = m.forwarding?.webhookUrl
    ? `Each event received is forwarded once as the webhook <code>provider.event</code> to <code>WEBHOOK_URL</code>; the last column is the state of that delivery.${
        m.forwarding.deliveriesUrl
          ? ` The console lists the deliveries: <a href="${esc(m.forwarding.deliveriesUrl)}">webhook deliveries</a> (sign in with an admin key).`
          : ''
      }`
    : 'No <code>WEBHOOK_URL</code> is set: events received are stored (once each) but not forwarded as <code>provider.event</code>.';
  const sections = m.connections
    .map((c) => ({ c, events: m.events?.get(c.id) }))
    .filter(({ events }) => events && (events.subscriptions.length || events.latest.length))
    .map(({ c, events }) => connectionEvents(c, events!))
    .join('\n');
  return `<section id="provider-events" aria-labelledby="provider-events-title"><h2 id="provider-events-title">Provider events</h2>
<p>${forwarding}</p>
${sections || '<p>No subscription yet: press Subscribe on a connection, then Send a test event.</p>'}
</section>`;
}

function connectionEvents(c: Connection, events: ConnectionEvents): string {
  const id = esc(c.id);
  const subscriptions = events.subscriptions.length
    ? `<table id="subscriptions-${id}"><caption>Subscriptions</caption><thead><tr><th scope="col">id</th><th scope="col">events</th><th scope="col">status</th></tr></thead><tbody>${events.subscriptions
        .map(
          (s) =>
            `<tr data-subscription-id="${esc(s.id)}"><td><code>${esc(s.id)}</code></td><td>${esc(s.events.join(' '))}</td><td>${esc(s.status)}</td></tr>`,
        )
        .join('')}</tbody></table>`
    : '<p>No subscription.</p>';
  const latest = events.latest.length
    ? `<table id="inbound-events-${id}"><caption>Latest events received, newest first</caption><thead><tr><th scope="col">type</th><th scope="col">received</th><th scope="col">provider.event</th></tr></thead><tbody>${events.latest
        .map(
          (e) =>
            `<tr><td>${esc(e.type)}</td><td><time datetime="${esc(e.receivedAt)}">${esc(e.receivedAt)}</time></td><td>${esc(e.forwarded ? (e.delivery ?? 'delivery purged') : 'not forwarded')}</td></tr>`,
        )
        .join('')}</tbody></table>`
    : '<p>No event received yet.</p>';
  return `<section class="events" id="events-${id}" aria-labelledby="events-${id}-title"><h3 id="events-${id}-title">${esc(c.provider)} <code>${esc(c.accountId)}</code>, connection <code>${id}</code></h3>
${subscriptions}
${latest}
</section>`;
}
