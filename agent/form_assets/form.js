// The reporting page (entry module): login, one form per unit the account may report for, the
// submission of only what changed, and the fate of each report — delivered (the city's broker
// acknowledged it), queued (the broker cannot be reached; it waits in the outbox) or refused
// (with the reason) — polled from GET /api/units/UNIT/reports. Everything comes from this agent;
// nothing is loaded from another origin.
import { api, HttpError, setCsrfToken, whenSessionEnds } from './api.js';
import { buildFields, collectChanges, fillFields } from './fields.js';
import { formatTime, language, setLanguage, t, translateStatic } from './i18n.js';

const $ = (id) => document.getElementById(id);
let session = null;
const polls = new Map();  // unit -> timer of its outcome poll

function el(tag, attrs = {}, text) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) if (v !== undefined && v !== null) e.setAttribute(k, String(v));
  if (text !== undefined) e.textContent = text;
  return e;
}

function showLogin(message) {
  session = null;
  setCsrfToken('');
  for (const timer of polls.values()) clearTimeout(timer);
  polls.clear();
  $('units-view').hidden = true;
  $('logout').hidden = true;
  $('who').textContent = '';
  $('login-view').hidden = false;
  $('login-error').textContent = message || '';
  $('login-name').focus();
}

async function showUnits(s) {
  session = s;
  setCsrfToken(s.csrf_token);
  $('login-view').hidden = true;
  $('logout').hidden = false;
  $('who').textContent = t('loggedInAs', { n: s.name });
  $('provider').textContent = t('providerLine', { p: s.provider_name, id: s.provider });
  $('units-view').hidden = false;
  const units = $('units');
  units.replaceChildren();
  const links = $('unit-links');
  links.replaceChildren();
  $('unit-nav').hidden = s.units.length < 2;
  if (s.units.length === 0) {
    units.append(el('p', { class: 'error' }, t('noUnits')));
    return;
  }
  for (const code of s.units) {
    const li = el('li');
    li.append(el('a', { href: '#unit-' + code }, t('unit', { u: code })));
    links.append(li);
    units.append(unitSection(code));
  }
  await Promise.all(s.units.map((code) => loadUnit(code)));
}

function unitSection(code) {
  const sec = el('section', { class: 'unit', id: 'unit-' + code, 'aria-labelledby': 'unit-' + code + '-title' });
  const head = el('div', { class: 'unit-head' });
  head.append(el('h2', { id: 'unit-' + code + '-title' }, t('unit', { u: code })));
  head.append(el('span', { class: 'muted last-time' }, t('loading')));
  sec.append(head);
  const form = el('form', { novalidate: '', 'data-unit': code });
  buildFields(form, code);
  const actions = el('div', { class: 'actions' });
  const send = el('button', { type: 'submit', class: 'primary' }, t('submit'));
  const undo = el('button', { type: 'button' }, t('reset'));
  actions.append(send, undo);
  form.append(actions);
  const outcome = el('p', { class: 'outcome', role: 'status', tabindex: '-1', 'aria-live': 'polite' });
  form.append(outcome);
  form.addEventListener('submit', (ev) => { ev.preventDefault(); submit(code, form, outcome, send); });
  undo.addEventListener('click', () => { if (form.last !== undefined) fillFields(form, code, form.last); outcome.textContent = ''; });
  sec.append(form);
  const recent = el('div', { class: 'recent' });
  recent.append(el('h3', {}, t('recent')));
  recent.append(el('ol'));
  sec.append(recent);
  return sec;
}

async function loadUnit(code) {
  const sec = $('unit-' + code);
  const form = sec.querySelector('form');
  try {
    const view = await api('/api/units/' + code);
    form.last = view.last;
    fillFields(form, code, view.last);
    showLastTime(sec, view.last);
    showRecent(sec, view.reports);
  } catch (e) {
    sec.querySelector('.last-time').textContent = t('loadFailed', { m: e.message });
  }
}

function showLastTime(sec, last) {
  const when = last && last.reported_at;
  sec.querySelector('.last-time').textContent = when ? t('lastReport', { t: formatTime(when) }) : t('noReportYet');
}

function reasonText(reason) {
  const key = 'rs_' + reason;
  const text = t(key);
  return text === key ? reason : text;
}

function showRecent(sec, reports) {
  const list = sec.querySelector('.recent ol');
  list.replaceChildren();
  if (!reports || reports.length === 0) {
    list.append(el('li', { class: 'muted' }, t('noRecent')));
    return;
  }
  for (const r of reports) {
    const li = el('li', { 'data-id': r.id, 'data-state': r.state });
    li.append(el('span', {}, formatTime(r.queued_at)));
    li.append(el('span', {}, t('kind_' + r.kind)));
    li.append(el('span', { class: 'badge ' + r.state }, t('st_' + r.state)));
    li.append(el('span', { class: 'muted' }, t('seqNo', { s: r.seq })));
    if (r.by) li.append(el('span', { class: 'muted' }, t('by', { b: r.by.replace(/^(form|api):/, '') })));
    if (r.refusal) li.append(el('span', { class: 'error' }, reasonText(r.refusal.reason)));
    list.append(li);
  }
}

function fieldError(inputs, field) {
  const input = field && (inputs[field] || inputs[field.replace(/^resources\./, '')]);
  if (!input) return;
  input.classList.add('invalid');
  input.setAttribute('aria-invalid', 'true');
  input.focus();
}

async function submit(code, form, outcome, button) {
  outcome.className = 'outcome';
  const { body, inputs } = collectChanges(form);
  if (Object.keys(body).length === 0) {
    outcome.textContent = t('nothingChanged');
    outcome.focus();
    return;
  }
  button.disabled = true;
  outcome.textContent = t('sending');
  try {
    const answer = await api('/api/units/' + code + '/report', { method: 'POST', body });
    // The agent kept these values as the unit's last report: measure the next changes from them.
    const view = await api('/api/units/' + code).catch(() => null);
    if (view) {
      form.last = view.last;
      fillFields(form, code, view.last);
      showLastTime($('unit-' + code), view.last);
      showRecent($('unit-' + code), view.reports);
    }
    follow(code, answer.messages.map((m) => m.id), outcome, view);
    outcome.focus();
  } catch (e) {
    outcome.classList.add('failed');
    if (e instanceof HttpError && e.status === 400 && e.body) {
      outcome.textContent = t('invalid', { m: e.body.message });
      fieldError(inputs, e.body.field);
    } else if (e instanceof HttpError && e.status === 403) {
      outcome.textContent = t('forbidden') + ' ' + ((e.body && e.body.message) || '');
      outcome.focus();
    } else {
      outcome.textContent = t('failed', { m: e.message });
      outcome.focus();
    }
  } finally {
    button.disabled = false;
  }
}

// Shows what became of the messages `ids` of one submission, polling until each is delivered
// or refused (every second for two minutes, then every ten seconds).
function follow(code, ids, outcome, firstView) {
  clearTimeout(polls.get(code));
  const started = Date.now();
  const render = (view) => {
    const mine = view.reports.filter((r) => ids.includes(r.id));
    const seq = mine.map((r) => r.seq).join(', ');
    const refused = mine.find((r) => r.state === 'refused');
    let state;
    if (refused) {
      state = 'refused';
      outcome.textContent = t('refused', { seq: refused.seq, r: reasonText(refused.refusal.reason), a: refused.refusal.advice });
    } else if (mine.length === ids.length && mine.every((r) => r.state === 'delivered')) {
      state = 'delivered';
      const at = mine.map((r) => r.delivered_at).filter(Boolean).sort().pop();
      outcome.textContent = t('delivered', { seq, t: at ? formatTime(at) : '' }).replace(' .', '.');
    } else {
      state = 'queued';
      outcome.textContent = view.link.connected ? t('queuedConnected', { seq }) : t('queuedOffline', { seq });
    }
    outcome.className = 'outcome ' + state;
    outcome.dataset.state = state;
    return state !== 'queued';
  };
  const tick = async () => {
    try {
      const view = await api('/api/units/' + code + '/reports');
      showRecent($('unit-' + code), view.reports);
      if (render(view)) return;
    } catch (e) {
      if (e instanceof HttpError && e.status === 401) return;
    }
    const wait = Date.now() - started < 120000 ? 1000 : 10000;
    polls.set(code, setTimeout(tick, wait));
  };
  if (firstView && render(firstView)) return;
  polls.set(code, setTimeout(tick, 500));
}

async function login(ev) {
  ev.preventDefault();
  $('login-error').textContent = '';
  const name = $('login-name').value.trim();
  const password = $('login-password').value;
  try {
    const s = await api('/api/login', { method: 'POST', body: { name, password } });
    $('login-password').value = '';
    await showUnits(s);
    $('main').focus();
  } catch (e) {
    if (e instanceof HttpError && e.status === 401) $('login-error').textContent = t('wrongCredentials');
    else if (e instanceof HttpError && e.status === 429) $('login-error').textContent = t('tooMany', { s: e.body.retry_after_s });
    else $('login-error').textContent = t('loginFailed', { m: e.message });
    $('login-password').focus();
  }
}

async function logout() {
  try { await api('/api/logout', { method: 'POST' }); } catch (e) { /* gone anyway */ }
  showLogin('');
}

function applyLanguage() {
  translateStatic();
  $('lang').textContent = language() === 'sv' ? 'English' : 'Svenska';
  $('lang').setAttribute('lang', language() === 'sv' ? 'en' : 'sv');
  document.title = 'Samband – ' + t('title');
}

async function start() {
  setLanguage(language());
  applyLanguage();
  whenSessionEnds(() => showLogin(t('sessionEnded')));
  $('login-form').addEventListener('submit', login);
  $('logout').addEventListener('click', logout);
  $('lang').addEventListener('click', async () => {
    setLanguage(language() === 'sv' ? 'en' : 'sv');
    applyLanguage();
    if (!session) return;
    // The forms are rebuilt in the new language; what the person has typed but not sent stays.
    const typed = [...document.querySelectorAll('#units .changed')].map((e) => [e.id, e.value]);
    await showUnits(session);
    for (const [id, value] of typed) {
      const input = $(id);
      if (!input) continue;
      input.value = value;
      input.dispatchEvent(new Event('input'));
    }
  });
  try {
    await showUnits(await api('/api/session'));
  } catch (e) {
    showLogin('');
  }
}

start();
