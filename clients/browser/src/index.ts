/**
 * Embedded connect for the OAuth connection service (docs/connect.md).
 *
 * `connect()` opens the service's connect flow in a popup inside the user's click and resolves with
 * the outcome; `handleRedirectResult()` reads the outcome on the page a full-page redirect returns to.
 * No dependencies; nothing here ever sees a provider token. The observe token (read-only, one session)
 * is sent only in a request header to the service, never put in a URL or an event.
 */

/** What the product's backend got from `POST /connect-sessions` and hands to the page (the API key stays there). */
export interface ConnectSession {
  /** The session's one-time link (`url` of the answer). */
  url: string;
  /** The session id (`id` of the answer). */
  id: string;
  /** The read-only token of the session's observe channel (`observeToken` of the answer). */
  observeToken: string;
}

export type ConnectResult =
  | { status: 'connected'; connectionId: string; provider: string; sessionId: string }
  | { status: 'closed' | 'error'; error?: string; sessionId?: string };

export type ConnectEvent =
  /** The popup was sent to the service's flow. */
  | { type: 'opened'; sessionId: string }
  /** `window.open` gave no window (blocked popup, webview): a full-page redirect follows. */
  | { type: 'popup_blocked' }
  /** The page is about to leave for the service (`mode: 'redirect'` or a blocked popup). */
  | { type: 'redirecting'; sessionId: string; reason: 'requested' | 'popup_blocked' }
  /** The popup was seen closed before any result: the service is asked once more before `closed` is reported. */
  | { type: 'closed'; sessionId?: string }
  /** The outcome, the same object the promise resolves with. */
  | { type: 'result'; result: ConnectResult };

export interface ConnectOptions {
  /** The session, or a function that creates it (called once, after the popup is open). */
  session: ConnectSession | (() => Promise<ConnectSession>);
  /** `popup` (default; falls back to `redirect` when no popup can be opened) or `redirect`. */
  mode?: 'popup' | 'redirect';
  /** For analytics and UI state; never given a token. Exceptions it throws are ignored. */
  onEvent?: (event: ConnectEvent) => void;
  /** `window.open` features; default: a 500×720 popup centred over the page. */
  popupFeatures?: string;
}

/** The `type` of the service's result message (posted by its result page to the opener). */
export const RESULT_MESSAGE_TYPE = 'oauth-connections:result';

const RESULT_PARAMS = ['status', 'connectionId', 'provider', 'error', 'sessionId'];
const STORAGE_KEY = 'oauth-connections:redirects';
const POPUP_NAME = 'oauth-connections';
/** Seconds one observe request may wait on the service (at most 25 there). */
const LONG_POLL_SECONDS = 20;
const CLOSED_CHECK_MS = 400;

type Emit = (event: ConnectEvent) => void;
/** An observe answer: an outcome, or still pending. */
type Observed = ConnectResult | 'pending';

/**
 * Starts a connection. Call it synchronously inside the user's click: the popup is opened before
 * anything is awaited, so browsers keep the click's permission to open it.
 *
 * Resolves `{status: 'connected', connectionId, provider, sessionId}`, `{status: 'error', error}`, or
 * `{status: 'closed'}` once the popup was closed and the service confirmed that nothing completed. After
 * a redirect (popup blocked, or `mode: 'redirect'`) the page leaves and the promise never settles: call
 * `handleRedirectResult()` on the page the browser returns to.
 */
export function connect(options: ConnectOptions): Promise<ConnectResult> {
  const emit: Emit = (event) => {
    try {
      options.onEvent?.(event);
    } catch {
      // The product's handler must not break the flow.
    }
  };
  const source = options.session;
  if (options.mode === 'redirect') return redirect(source, emit, 'requested');
  const given = typeof source === 'function' ? undefined : checked(source);
  let popup: Window | null = null;
  try {
    // Before any await: the user activation of the click is still there.
    // A name of its own per call: two calls (a double click, two buttons) never share one window, and
    // no other page can aim at it by a known name.
    popup = window.open(given ? withOrigin(given.url) : '', popupName(), options.popupFeatures ?? centred(500, 720));
  } catch {
    popup = null;
  }
  if (!popup) {
    emit({ type: 'popup_blocked' });
    return redirect(source, emit, 'popup_blocked');
  }
  const opened = popup;
  if (given) {
    emit({ type: 'opened', sessionId: given.id });
    return watch(opened, given, emit);
  }
  preparing(opened);
  return new Promise<ConnectResult>((resolve) => {
    let settled = false;
    const end = (result: ConnectResult | Promise<ConnectResult>) => {
      settled = true;
      clearInterval(closedCheck);
      resolve(result);
    };
    // Closed while the session is still being prepared (which may never settle): nothing was sent to
    // the service, so nothing can have completed.
    const closedCheck = setInterval(() => {
      if (settled || !opened.closed) return;
      emit({ type: 'closed' });
      end(settle(emit, { status: 'closed' }));
    }, CLOSED_CHECK_MS);
    sessionOf(source).then(
      (session) => {
        if (settled) return;
        if (opened.closed) {
          emit({ type: 'closed', sessionId: session.id });
          return end(settle(emit, { status: 'closed', sessionId: session.id }));
        }
        opened.location.replace(withOrigin(session.url));
        emit({ type: 'opened', sessionId: session.id });
        end(watch(opened, session, emit));
      },
      () => {
        if (settled) return;
        closeQuietly(opened);
        end(settle(emit, { status: 'error', error: 'session_failed' }));
      },
    );
  });
}

function popupName(): string {
  const random =
    typeof crypto !== 'undefined' && typeof crypto.randomUUID === 'function'
      ? crypto.randomUUID()
      : Math.random().toString(36).slice(2);
  return `${POPUP_NAME}-${random}`;
}

/**
 * On the page a redirect flow returns to: the outcome from the URL's `status`, `connectionId`,
 * `provider`, `error` and `sessionId`, which are then removed from the address bar (history.replaceState).
 * Null when the URL carries no outcome, or one of a session this browser tab did not start here (a
 * crafted link proves nothing; a backend confirms with `GET /connect-sessions/{id}` in any case).
 */
export function handleRedirectResult(): ConnectResult | null {
  const url = new URL(location.href);
  const query = url.searchParams;
  const status = query.get('status');
  const sessionId = query.get('sessionId');
  if ((status !== 'connected' && status !== 'error') || !sessionId || !forget(sessionId)) return null;
  const result = outcome({
    status,
    sessionId,
    connectionId: query.get('connectionId') ?? undefined,
    provider: query.get('provider') ?? undefined,
    error: query.get('error') ?? undefined,
  });
  for (const name of RESULT_PARAMS) query.delete(name);
  try {
    history.replaceState(history.state, '', url.toString());
  } catch {
    // An address bar left as it is changes nothing of the result.
  }
  return result && result !== 'pending' ? result : null;
}

/** Waits for the popup's result: a message from the service's result page, or the observe channel; the first wins. */
function watch(popup: Window, session: ConnectSession, emit: Emit): Promise<ConnectResult> {
  const base = serviceBase(session.url);
  const origin = new URL(session.url).origin;
  const polling = new AbortController();
  return new Promise<ConnectResult>((resolve) => {
    let done = false;
    const finish = (result: ConnectResult) => {
      if (done) return;
      done = true;
      window.removeEventListener('message', onMessage);
      clearInterval(timer);
      polling.abort();
      closeQuietly(popup);
      resolve(settle(emit, result));
    };
    // A popup closed without a result: ask the service once more; only "still pending" is `closed`.
    const timer = setInterval(() => {
      if (done || !popup.closed) return;
      clearInterval(timer);
      polling.abort();
      emit({ type: 'closed', sessionId: session.id });
      void lastWord(base, session).then((result) => finish(result));
    }, CLOSED_CHECK_MS);
    const onMessage = (event: MessageEvent) => {
      // Only the service's page in this very popup, about this very session.
      if (event.origin !== origin || event.source !== popup) return;
      const data: unknown = event.data;
      if (!isRecord(data) || data.type !== RESULT_MESSAGE_TYPE || data.sessionId !== session.id) return;
      const result = outcome(data, session.id);
      if (result && result !== 'pending') finish(result);
    };
    window.addEventListener('message', onMessage);

    // The observe channel, whatever happens to the popup's opener (COOP, a provider page, a webview).
    void (async () => {
      for (let failures = 0; !done;) {
        const started = Date.now();
        try {
          const answer = await observe(base, session, LONG_POLL_SECONDS, polling.signal);
          failures = 0;
          if (answer === undefined) return; // Unknown to the service: the closed check decides.
          if (answer !== 'pending') return finish(answer);
          // A server that answers "pending" at once is not hammered.
          if (Date.now() - started < 1000) await pause(1000);
        } catch {
          if (polling.signal.aborted) return;
          await pause(Math.min(1000 * 2 ** ++failures, 15_000));
        }
      }
    })();
  });
}

/** The service's answer once the popup is gone (a few tries if it cannot be reached). */
async function lastWord(base: string, session: ConnectSession): Promise<ConnectResult> {
  for (let attempt = 0; ; attempt++) {
    try {
      const answer = await observe(base, session, 0);
      if (answer === undefined) return { status: 'error', error: 'unknown_session', sessionId: session.id };
      return answer === 'pending' ? { status: 'closed', sessionId: session.id } : answer;
    } catch {
      // Unconfirmed is not "closed": the flow may have completed.
      if (attempt === 2) return { status: 'error', error: 'observe_failed', sessionId: session.id };
      await pause(500 * 2 ** attempt);
    }
  }
}

/** One observe request: the outcome, 'pending', or undefined when the service does not know the session. */
async function observe(
  base: string,
  session: ConnectSession,
  wait: number,
  signal?: AbortSignal,
): Promise<Observed | undefined> {
  const res = await fetch(`${base}/connect/observe/${encodeURIComponent(session.id)}?wait=${wait}`, {
    headers: { 'X-Observe-Token': session.observeToken },
    cache: 'no-store',
    credentials: 'omit',
    referrerPolicy: 'no-referrer',
    signal,
  });
  if (res.status === 404) return undefined;
  if (!res.ok) throw new Error(`observe answered ${res.status}`);
  const answer = outcome((await res.json()) as unknown, session.id);
  if (!answer) throw new Error('observe answer not understood');
  return answer;
}

/** Full-page redirect to the session's link, coming back to this page (`return_to`). */
async function redirect(
  source: ConnectOptions['session'],
  emit: Emit,
  reason: 'requested' | 'popup_blocked',
): Promise<ConnectResult> {
  let session: ConnectSession;
  try {
    session = await sessionOf(source);
  } catch {
    return settle(emit, { status: 'error', error: 'session_failed' });
  }
  remember(session.id);
  const url = new URL(session.url);
  url.searchParams.set('return_to', returnTo());
  emit({ type: 'redirecting', sessionId: session.id, reason });
  location.assign(url.toString());
  // The page is leaving: nothing to resolve here (handleRedirectResult on the way back).
  return new Promise<ConnectResult>(() => undefined);
}

/** A result message or observe answer in the package's terms (undefined: not one). */
function outcome(data: unknown, sessionId?: string): Observed | undefined {
  if (!isRecord(data)) return undefined;
  const id = sessionId ?? text(data.sessionId);
  const session = id ? { sessionId: id } : {};
  switch (data.status) {
    case 'pending':
      return 'pending';
    case 'connected': {
      const connectionId = text(data.connectionId);
      if (!connectionId) return { status: 'error', error: 'invalid_result', ...session };
      return { status: 'connected', connectionId, provider: text(data.provider) ?? '', sessionId: id ?? '' };
    }
    case 'error':
      return { status: 'error', error: text(data.error) ?? 'unknown_error', ...session };
    case 'expired':
      return { status: 'error', error: 'session_expired', ...session };
    default:
      return undefined;
  }
}

function settle(emit: Emit, result: ConnectResult): ConnectResult {
  emit({ type: 'result', result });
  return result;
}

async function sessionOf(source: ConnectOptions['session']): Promise<ConnectSession> {
  return checked(typeof source === 'function' ? await source() : source);
}

function checked(session: ConnectSession): ConnectSession {
  if (!isRecord(session) || !text(session.url) || !text(session.id) || !text(session.observeToken))
    throw new TypeError('connect(): session must be {url, id, observeToken} as POST /connect-sessions answers');
  return session;
}

/** The session link with this page's origin, where the service's result page may post the result. */
function withOrigin(link: string): string {
  const url = new URL(link);
  url.searchParams.set('origin', location.origin);
  return url.toString();
}

/** The service's base URL (PUBLIC_URL, which may have a path) from a session link. */
function serviceBase(link: string): string {
  const url = new URL(link);
  return url.origin + url.pathname.replace(/\/(?:oauth\/[^/]+\/authorize|connect)\/?$/, '');
}

/** This page's address without a previous outcome's parameters. */
function returnTo(): string {
  const url = new URL(location.href);
  for (const name of RESULT_PARAMS) url.searchParams.delete(name);
  return url.toString();
}

function centred(width: number, height: number): string {
  const left = Math.max(0, Math.round(window.screenX + (window.outerWidth - width) / 2));
  const top = Math.max(0, Math.round(window.screenY + (window.outerHeight - height) / 2));
  return `popup=yes,width=${width},height=${height},left=${left},top=${top}`;
}

/**
 * "Preparing…" in the popup's about:blank (same-origin with this page) while the session is created.
 * Built with the DOM, not document.open/write: a written document is no longer the initial
 * about:blank, and a page with `Cross-Origin-Opener-Policy: same-origin-allow-popups` would then lose
 * the popup as soon as it goes to the service.
 */
function preparing(popup: Window): void {
  try {
    const doc = popup.document;
    doc.documentElement.lang = 'en';
    doc.title = 'Preparing…';
    const text = doc.createElement('p');
    text.setAttribute('role', 'status');
    text.textContent = 'Preparing the connection…';
    text.style.cssText = 'font:1rem system-ui,sans-serif;margin:3rem 1rem;text-align:center';
    doc.body.appendChild(text);
  } catch {
    // Nothing shown then; the flow goes on.
  }
}

function closeQuietly(popup: Window): void {
  try {
    if (!popup.closed) popup.close();
  } catch {
    // Already gone.
  }
}

/** Session ids this tab sent away with a redirect (sessionStorage: this tab, this origin). */
function started(): string[] {
  try {
    const list: unknown = JSON.parse(sessionStorage.getItem(STORAGE_KEY) ?? '[]');
    return Array.isArray(list) ? list.filter((x): x is string => typeof x === 'string') : [];
  } catch {
    return [];
  }
}

function store(ids: string[]): void {
  try {
    if (ids.length) sessionStorage.setItem(STORAGE_KEY, JSON.stringify(ids.slice(-10)));
    else sessionStorage.removeItem(STORAGE_KEY);
  } catch {
    // No storage (a locked-down browser): handleRedirectResult will then ignore the outcome.
  }
}

function remember(id: string): void {
  store([...started().filter((x) => x !== id), id]);
}

/** Whether this tab started `id`; forgets it (an outcome is read once). */
function forget(id: string): boolean {
  const ids = started();
  if (!ids.includes(id)) return false;
  store(ids.filter((x) => x !== id));
  return true;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null;
}

function text(value: unknown): string | undefined {
  return typeof value === 'string' && value !== '' ? value : undefined;
}

function pause(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
