// Talking to the agent: JSON requests with the session's CSRF token on every POST, and one place
// that notices a session that has ended. Only this origin is ever asked.

let csrfToken = '';
let onSessionEnded = () => {};

export function setCsrfToken(token) { csrfToken = token || ''; }
export function whenSessionEnds(fn) { onSessionEnded = fn; }

export class HttpError extends Error {
  constructor(status, body) {
    super((body && body.message) || ('HTTP ' + status));
    this.status = status;
    this.body = body;
  }
}

export async function api(path, opts = {}) {
  const init = { credentials: 'same-origin', cache: 'no-store', headers: {} };
  if (opts.method) init.method = opts.method;
  if (opts.body !== undefined) {
    init.body = JSON.stringify(opts.body);
    init.headers['Content-Type'] = 'application/json';
  }
  if (init.method === 'POST' && csrfToken) init.headers['X-CSRF-Token'] = csrfToken;
  const res = await fetch(path, init);
  let body = null;
  try { body = await res.json(); } catch (e) { body = null; }
  if (!res.ok) {
    if (res.status === 401 && path !== '/api/login') onSessionEnded();
    throw new HttpError(res.status, body);
  }
  return body;
}
