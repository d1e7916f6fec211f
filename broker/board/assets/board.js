// Samband board: renders the JSON API of docs/api.md and follows /api/events (SSE) to stay live.
// The entry module (index.html loads it as type="module"): login, the refresh of the picture,
// tab routing, language and text size, the wall screen (/?view=wall, wall.js) and the user's own
// account (account.js). Texts are in i18n.js, requests and the stream in api.js, each tab in its
// own module; modules call each other only after the page has started.
// Rules: every piece of provider-supplied text is set with textContent, never parsed as markup;
// state is always shown as a word and a shape, colour only repeats it; no inline script or
// style (the Content-Security-Policy forbids both).
import { lang, setLang, t } from './i18n.js';
import { state } from './state.js';
import { $, icon } from './dom.js';
import { fmtTime } from './format.js';
import { api, connectEvents, HttpError, onApiEvents, stopEvents, withAsOf, withVersion } from './api.js';
import { renderCapacity } from './capacity.js';
import { CITY_TABS, fillCitySelects, refreshCity } from './city.js';
import { renderDirectives, reviewDirective, sendDirective } from './directives.js';
import { renderExercise } from './exercise.js';
import { renderPlanning } from './planning.js';
import { loadProvider, renderProviderDetail, renderProviders } from './providers.js';
import { renderReadiness } from './readiness.js';
import { allUnits, renderHeadline, renderUnits } from './units.js';
import { loadSeats, renderSeats } from './seats.js';
import { isWall, renderWall, tickWallClock } from './wall.js';
import { showAccount, submitPassword, whoText } from './account.js';

// An upstream broker (county, national) has no agents of its own: its page is /rollup, where the
// login here leads.
function toRollup(session) {
  if (!session || !session.tier || session.tier === 'city') return false;
  window.location.replace('/rollup');
  return true;
}

function showLogin(message) {
  state.session = null;
  stopEvents();
  $('board-view').hidden = true;
  $('wall-view').hidden = true;
  $('account-view').hidden = true;
  state.account = false;
  $('login-view').hidden = false;
  $('who').hidden = true;
  $('logout').hidden = true;
  $('account-open').hidden = true;
  $('level').hidden = true;
  $('live-banner').hidden = true;
  state.asOf = null;
  $('history-banner').hidden = true;
  $('live-state').textContent = '';
  $('live-state').className = 'live-state';
  $('login-error').textContent = message || '';
  $('login-name').focus();
}

function showBoard() {
  $('login-view').hidden = true;
  $('board-view').hidden = state.wall;
  $('wall-view').hidden = !state.wall;
  // The wall screen has no controls: nobody stands at it.
  $('who').hidden = state.wall;
  $('who').textContent = whoText();
  $('logout').hidden = state.wall;
  $('account-open').hidden = state.wall;
  route();
  refresh();
  if (!state.asOf) connectEvents();
}

// "standby behind by N frames" (docs/replication.md): shown while the peer broker lacks frames.
function renderStandby() {
  const r = state.picture && state.picture.replication;
  const behind = r && typeof r.behind_frames === 'number' ? r.behind_frames : 0;
  $('standby-banner').hidden = !(behind > 0) || !!state.asOf;
  if (behind > 0) {
    $('standby-banner-text').textContent = t('standbyBehind', {
      n: behind, peer: r.peer, t: r.last_contact ? fmtTime(r.last_contact) : '–' });
  }
}

function renderAll() {
  renderStandby();
  if (state.wall) {
    renderHeadline();
    renderWall();
    if (state.picture) $('generated').textContent = t('generated', { t: fmtTime(state.picture.generated_at) });
    return;
  }
  renderHeadline();
  renderUnits();
  renderProviders();
  renderCapacity();
  renderSeats();
  renderExercise();
  if (state.provider) renderProviderDetail(false);
  if (state.picture) $('generated').textContent = t('generated', { t: fmtTime(state.picture.generated_at) });
  // Remember states so the next render can flash the rows that changed.
  state.previousStates = new Map(allUnits().map((u) => [u.code, u.operational]));
}

function renderCity() {
  fillCitySelects();
  renderReadiness();
  renderDirectives();
  renderPlanning();
}

// ---------------------------------------------------------------- refresh and live events
// `version`: the change event's (the board's shared answer for it); 0 or none: rendered afresh
// (after this page's own change, or at login).
export async function refresh(version = 0) {
  if (!state.session) return;
  if (state.refreshing) {
    // One refresh follows, fresh if any caller wanted it fresh, else at the newest version.
    const pending = state.refreshAgain ? state.againVersion : null;
    state.againVersion = pending === 0 || !version ? 0 : Math.max(pending || 0, version);
    state.refreshAgain = true;
    return;
  }
  state.refreshing = true;
  try {
    const [picture, capacity, seats] = await Promise.all([api(withVersion('/api/picture', version)),
      state.wall ? Promise.resolve(null) : api(withVersion('/api/capacity', version)),
      state.wall ? Promise.resolve(null) : api(withVersion('/api/seats' + state.seatsQuery, version))]);
    state.picture = picture;
    state.capacity = capacity;
    state.seats = seats;
    state.fetchedAt = Date.now();
    state.lastGood = Date.now();
    renderAll();
    refreshCity(false);
    if (state.provider) await loadProvider(state.provider, false);
  } catch (e) {
    if (state.asOf) $('asof-error').textContent = t('asOfFailed', { m: e.message });
    else if (!(e instanceof HttpError && e.status === 401)) setLive(false);
  } finally {
    state.refreshing = false;
    if (state.refreshAgain) { state.refreshAgain = false; refresh(state.againVersion); }
  }
}

function setLive(live) {
  state.live = live;
  const badge = $('live-state');
  if (!state.session) { badge.textContent = ''; return; }
  if (state.asOf) {  // the stream is paused: the page shows a past moment
    badge.className = 'live-state is-history';
    badge.replaceChildren(icon('offline'), ' ' + t('history'));
    $('live-banner').hidden = true;
    return;
  }
  badge.className = 'live-state ' + (live ? 'is-live' : 'is-down');
  badge.replaceChildren(icon(live ? 'online' : 'offline'), ' ' + (live ? t('live') : t('notLive')));
  const banner = $('live-banner');
  banner.hidden = live;
  $('live-banner-text').textContent = t('notLiveBanner', { t: state.lastGood ? fmtTime(new Date(state.lastGood).toISOString()) : '–' });
}

// Ages move on between events.
setInterval(() => {
  if (state.wall) { if (state.session && state.picture) renderWall(); else tickWallClock(); return; }
  if (state.session && state.picture) { renderUnits(); if (state.provider) renderProviderDetail(false); }
  if (state.session && state.tab === 'readiness') renderReadiness();  // the time left counts down
}, 30000);
// A full refresh once a minute, whatever the stream says (a past moment does not change).
// At the stream's newest version: the board re-renders an answer older than a few seconds.
setInterval(() => { if (state.session && !state.asOf) refresh(state.version || 0); }, 60000);

// ---------------------------------------------------------------- a past moment ("as of")
// The moment is a local time in Stockholm as the datetime-local input gives it
// ('2027-02-23T09:40' or with seconds), sent as it is: the API reads it in [readiness] time_zone.
const stockholmNow = () => new Date().toLocaleString('sv-SE', { timeZone: 'Europe/Stockholm' }).replace(' ', 'T');
const showMomentText = (m) => m.replace('T', ' ').replace(/^(.{16}):00$/, '$1');

function renderHistory() {
  const on = state.asOf !== null;
  $('history-banner').hidden = !on || state.wall;
  if (on) $('history-banner-text').textContent = t('historyBanner', { t: showMomentText(state.asOf) });
  $('export-csv').href = withAsOf('/api/export.csv');
  $('export-excel').href = withAsOf('/api/export.csv?excel=1');
  setLive(state.live);
}

// Shows the picture as it was at `moment`: checks that the broker can rebuild it (a moment in the
// future or before the archive is refused with the broker's message), then pauses the stream and
// fetches every tab's picture with as_of.
async function showMoment(moment) {
  $('asof-error').textContent = '';
  const previous = state.asOf;
  state.asOf = moment;
  try {
    await api('/api/picture');
  } catch (e) {
    state.asOf = previous;
    if (!(e instanceof HttpError && e.status === 401)) $('asof-error').textContent = t('asOfFailed', { m: e.message });
    return;
  }
  stopEvents();
  $('asof-input').value = moment;
  renderHistory();
  await refresh();
}

function backToLive() {
  state.asOf = null;
  $('asof-error').textContent = '';
  renderHistory();
  $('asof-input').focus();
  refresh();
  connectEvents();
}

// Steps the moment on screen (or the one typed, or now) by `minutes`; past now is live again.
function stepMoment(minutes) {
  const base = $('asof-input').value || state.asOf || stockholmNow();
  const d = new Date(base + 'Z');  // wall-clock arithmetic on the local time
  if (Number.isNaN(d.getTime())) return;
  d.setUTCMinutes(d.getUTCMinutes() + minutes);
  const next = d.toISOString().slice(0, 19).replace(/:00$/, '');
  if (next > stockholmNow()) { if (state.asOf) backToLive(); return; }
  showMoment(next);
}

// ---------------------------------------------------------------- routing
const TABS = ['units', 'providers', 'capacity', 'exercise', 'readiness', 'directives', 'planning'];
function route() {
  if (state.account) showAccount(false);
  if (state.wall) return;
  const hash = decodeURIComponent(location.hash.replace(/^#/, ''));
  let tab = 'units';
  state.provider = null;
  if (hash.startsWith('provider/')) {
    tab = 'providers';
    state.provider = hash.slice('provider/'.length);
  } else if (TABS.includes(hash)) {
    tab = hash;
  }
  state.tab = tab;
  for (const name of TABS) {
    $('tab-' + name).hidden = name !== tab;
    const link = document.querySelector('[data-tab="' + name + '"]');
    if (name === tab) link.setAttribute('aria-current', 'page'); else link.removeAttribute('aria-current');
  }
  $('provider-list-wrap').hidden = state.provider !== null;
  $('provider-detail').hidden = state.provider === null;
  if (state.provider && state.session) {
    state.providerDetail = null;
    state.history = [];
    state.nextBefore = null;
    $('timeline').replaceChildren();
    loadProvider(state.provider, false).catch(() => {});
  }
  if (CITY_TABS.includes(tab) && state.session) refreshCity(true);
}

// ---------------------------------------------------------------- language and size
function applyLanguage() {
  document.documentElement.lang = lang;
  for (const node of document.querySelectorAll('[data-i18n]')) node.textContent = t(node.dataset.i18n);
  document.title = t('title');
  const other = $('toggle-lang');
  other.textContent = lang === 'sv' ? 'English' : 'Svenska';
  other.lang = lang === 'sv' ? 'en' : 'sv';
  $('toggle-large').textContent = document.documentElement.classList.contains('large') ? t('normalText') : t('largeText');
  if (state.session) {
    $('who').textContent = whoText();
    renderAll();
    if (!state.wall) renderCity();
    renderHistory();
  }
}

// ---------------------------------------------------------------- start
onApiEvents({ sessionEnded: () => showLogin(t('sessionEnded')), live: setLive, changed: refresh });
document.addEventListener('DOMContentLoaded', async () => {
  state.wall = isWall();
  if (state.wall) document.documentElement.classList.add('wall');
  else if (localStorage.getItem('samband.large') === '1') document.documentElement.classList.add('large');
  applyLanguage();
  $('toggle-lang').addEventListener('click', () => {
    setLang(lang === 'sv' ? 'en' : 'sv');
    applyLanguage();
  });
  $('toggle-large').addEventListener('click', () => {
    const on = document.documentElement.classList.toggle('large');
    localStorage.setItem('samband.large', on ? '1' : '0');
    applyLanguage();
  });
  for (const id of ['f-query', 'f-district', 'f-provider', 'f-state', 'f-form']) {
    $(id).addEventListener(id === 'f-query' ? 'input' : 'change', renderUnits);
  }
  $('f-details').addEventListener('change', () => { state.allDetails = $('f-details').checked; renderUnits(); });
  for (const id of ['s-form', 's-year', 's-district']) {
    $(id).addEventListener('change', () => {
      if (id === 's-form') $('s-year').value = '';
      loadSeats().catch(() => {});
    });
  }
  $('asof-form').addEventListener('submit', (ev) => {
    ev.preventDefault();
    if ($('asof-input').value) showMoment($('asof-input').value);
  });
  $('asof-prev').addEventListener('click', () => stepMoment(-15));
  $('asof-next').addEventListener('click', () => stepMoment(15));
  $('asof-live').addEventListener('click', backToLive);
  $('account-open').addEventListener('click', () => showAccount(true));
  $('account-cancel').addEventListener('click', () => showAccount(false));
  $('account-form').addEventListener('submit', submitPassword);
  // The wall screen shows the picture full screen and moves the clock on every 30 s.
  if (state.wall) window.addEventListener('resize', () => { if (state.session) renderWall(); });
  fillCitySelects();
  $('directive-form').addEventListener('submit', reviewDirective);
  $('directive-form').addEventListener('input', () => { $('d-confirm').hidden = true; state.pendingDirective = null; });
  $('directive-form').addEventListener('change', () => { $('d-recipients').disabled = !$('d-to-some').checked; });
  $('d-send').addEventListener('click', sendDirective);
  $('d-cancel').addEventListener('click', () => { $('d-confirm').hidden = true; state.pendingDirective = null; $('d-review').focus(); });
  $('p-horizon').addEventListener('change', () => refreshCity(true));
  for (const id of ['p-whatif', 'p-fill', 'p-reduced', 'p-closed']) {
    $(id).addEventListener('change', () => refreshCity(true));
  }
  $('timeline-more').addEventListener('click', () => { if (state.provider) loadProvider(state.provider, true).catch(() => {}); });
  window.addEventListener('hashchange', route);
  $('logout').addEventListener('click', async () => {
    try { await api('/api/logout', { method: 'POST', body: {} }); } catch (e) { /* logged out anyway */ }
    showLogin('');
  });
  $('login-form').addEventListener('submit', async (ev) => {
    ev.preventDefault();
    const name = $('login-name').value.trim();
    const password = $('login-password').value;
    $('login-submit').disabled = true;
    $('login-error').textContent = '';
    try {
      state.session = await api('/api/login', { method: 'POST', body: { name, password } });
      $('login-password').value = '';
      if (toRollup(state.session)) return;
      showBoard();
    } catch (e) {
      let msg = t('loginFailed', { m: e.message });
      if (e instanceof HttpError && e.status === 401) msg = t('wrongCredentials');
      if (e instanceof HttpError && e.status === 429) msg = t('tooMany', { s: (e.body && e.body.retry_after_s) || '?' });
      $('login-error').textContent = msg;
    } finally {
      $('login-submit').disabled = false;
    }
  });
  try {
    const res = await fetch('/api/session', { credentials: 'same-origin', cache: 'no-store' });
    if (res.ok) {
      state.session = await res.json();
      if (toRollup(state.session)) return;
      showBoard();
    } else {
      showLogin('');
    }
  } catch (e) {
    showLogin(t('notLive'));
  }
});
