// Talking to the broker: JSON requests to the API of docs/api.md (with the session's CSRF token
// on POST) and the live stream /api/events, reconnected with backoff when it breaks or goes
// silent. Reports what it learns through the handlers board.js sets with onApiEvents().
import { state } from './state.js';

// What the page does when the API or the stream says something about the session or the link;
// board.js fills these in at start (see onApiEvents()).
const handlers = {
  sessionEnded: () => {},  // the session is gone: show the login
  live: () => {},          // live(true|false): the stream is up or down
  changed: () => {},       // the picture may have changed (to version v): fetch it again
  ping: () => {},          // the stream's heartbeat (ages and connections move with time)
};

// Sets the handlers above: { sessionEnded(), live(isLive), changed(), ping() }.
export function onApiEvents(h) { Object.assign(handlers, h); }

export class HttpError extends Error {
  constructor(status, body) { super((body && body.message) || ('HTTP ' + status)); this.status = status; this.body = body; }
}
// The reads that take `?as_of=MOMENT` (docs/api.md, "A past moment"): while the page shows a past
// moment (state.asOf) they are asked for the picture as it was then. Other reads stay live.
const AS_OF_PATHS = /^\/api\/(picture|units|providers|capacity|seats|export\.csv|seats\.csv)(\/|\?|$)/;
export function withAsOf(path) {
  if (!state.asOf || !AS_OF_PATHS.test(path)) return path;
  return path + (path.includes('?') ? '&' : '?') + 'as_of=' + encodeURIComponent(state.asOf);
}

// `path` asking for the picture of change version `version` (0: rendered afresh).
export function withVersion(path, version) {
  if (!version) return path;
  return path + (path.includes('?') ? '&' : '?') + 'v=' + version;
}

export async function api(path, opts = {}) {
  if (!opts.method) path = withAsOf(path);
  const init = { credentials: 'same-origin', cache: 'no-store', headers: {} };
  if (opts.method) init.method = opts.method;
  if (opts.body !== undefined) {
    init.body = JSON.stringify(opts.body);
    init.headers['Content-Type'] = 'application/json';
  }
  if (init.method === 'POST' && state.session) init.headers['X-CSRF-Token'] = state.session.csrf_token;
  const res = await fetch(path, init);
  let body = null;
  try { body = await res.json(); } catch (e) { body = null; }
  if (!res.ok) {
    if (res.status === 401 && path !== '/api/login') handlers.sessionEnded();
    throw new HttpError(res.status, body);
  }
  return body;
}

// ---------------------------------------------------------------- the live stream (SSE)
export function stopEvents() {
  if (state.es) { state.es.close(); state.es = null; }
  clearTimeout(state.reconnectTimer);
}

export function connectEvents() {
  stopEvents();
  const es = new EventSource('/api/events');
  state.es = es;
  state.lastEventAt = Date.now();
  const seen = () => { state.lastEventAt = Date.now(); };
  // Each event names the picture's version: the refresh asks for it (?v=N), so the board serves
  // every viewer the same answer rendered once for that version, never an older one.
  const versionOf = (ev) => {
    try { const v = JSON.parse(ev.data).version; return Number.isSafeInteger(v) && v > 0 ? v : 0; } catch (e) { return 0; }
  };
  es.addEventListener('hello', (ev) => { seen(); state.retry = 0; handlers.live(true); handlers.changed(state.version = versionOf(ev)); });
  es.addEventListener('change', (ev) => { seen(); handlers.live(true); handlers.changed(state.version = versionOf(ev)); });
  es.addEventListener('ping', () => { seen(); handlers.ping(); });
  es.addEventListener('logout', () => { stopEvents(); handlers.sessionEnded(); });
  es.onerror = () => {
    handlers.live(false);
    // CONNECTING: the browser retries by itself. CLOSED (an HTTP error): we retry.
    if (es.readyState === EventSource.CLOSED && state.es === es) scheduleReconnect();
  };
}

function scheduleReconnect() {
  stopEvents();
  const delay = Math.min(15000, 1000 * 2 ** Math.min(state.retry++, 4));
  state.reconnectTimer = setTimeout(async () => {
    try {
      const res = await fetch('/api/session', { credentials: 'same-origin', cache: 'no-store' });
      if (res.status === 401) { handlers.sessionEnded(); return; }
    } catch (e) { /* the broker is still down: try the stream again anyway */ }
    if (state.session && !state.asOf) connectEvents();
  }, delay);
}

// A stream that went silent (no ping for 40 s) is dead even if the socket did not say so.
setInterval(() => {
  if (state.session && state.es && Date.now() - state.lastEventAt > 40000) {
    handlers.live(false);
    scheduleReconnect();
  }
}, 5000);
