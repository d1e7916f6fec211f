// The upstream board (rollup.html, docs/rollup.md): the city list, and with #city=NAME that
// city's providers and units, from GET /api/rollup. Live like the other pages: it follows
// /api/events (api.js) and reads the picture again on every change and every ping (ages and
// connections move with time alone). Swedish or English (i18n.js). Everything from the answer
// is set as text, never as markup.
import { lang, setLang, t, hasText } from './i18n.js';
import { state } from './state.js';
import { api, connectEvents, HttpError, onApiEvents, stopEvents } from './api.js';

const $ = (id) => document.getElementById(id);
let picture = null;
let refreshing = false;
let again = false;

function cell(row, text) {
  const td = document.createElement('td');
  td.textContent = text == null ? '–' : String(text);
  row.appendChild(td);
  return td;
}

function age(seconds) {
  if (seconds == null) return t('none');
  if (seconds < 120) return t('ru_agoS', { n: seconds });
  if (seconds < 7200) return t('ru_agoMin', { n: Math.round(seconds / 60) });
  return t('ru_agoH', { n: Math.round(seconds / 3600) });
}

// A word the page knows (a state, a liveness) in the language in use; else the word as sent.
const word = (prefix, value) => (value != null && hasText(prefix + value) ? t(prefix + value) : value);

function counts(obj, prefix) {
  const parts = Object.entries(obj || {}).map(([k, n]) => `${prefix ? word(prefix, k) : k}: ${n}`);
  return parts.length ? parts.join(', ') : '–';
}

function selectedCity() {
  const m = /^#city=(.*)$/.exec(window.location.hash);
  return m ? decodeURIComponent(m[1]) : null;
}

const connection = (c) => (c.connected ? t('ru_connected') : t('ru_notConnected'));

function renderCities() {
  const body = $('city-rows');
  body.replaceChildren();
  for (const c of picture.cities) {
    const row = document.createElement('tr');
    row.dataset.city = c.city;
    const name = cell(row, '');
    const link = document.createElement('a');
    link.href = `#city=${encodeURIComponent(c.city)}`;
    link.textContent = c.city;
    name.appendChild(link);
    cell(row, connection(c)).className = 'connection';
    cell(row, age(c.newest_frame_age_s));
    cell(row, counts(c.units_by_state, 'st_')).className = 'by-state';
    cell(row, counts(c.refused));
    body.appendChild(row);
  }
}

function renderCity(name) {
  const c = picture.cities.find((x) => x.city === name);
  $('city-name').textContent = c ? `${c.city} (${connection(c)})` : name;
  const body = $('unit-rows');
  body.replaceChildren();
  if (!c) return;
  for (const p of c.providers) {
    const units = p.units.length ? p.units : [null];
    for (const u of units) {
      const row = document.createElement('tr');
      if (u) row.dataset.unit = u.unit;
      cell(row, p.provider);
      cell(row, word('lv_', p.liveness));
      cell(row, u ? u.unit : null);
      cell(row, u ? (u.state == null ? t('ru_noStatus') : word('st_', u.state)) : null).className = 'state';
      cell(row, u ? age(u.age_s) : null);
      body.appendChild(row);
    }
  }
}

function render() {
  if (!picture) return;
  $('rollup-message').textContent = picture.cities.length
    ? t('ru_updated', { t: new Date(picture.generated_at).toLocaleString(lang === 'sv' ? 'sv-SE' : 'en-GB') })
    : t('ru_noCities');
  const city = selectedCity();
  $('cities').hidden = city != null;
  $('city-detail').hidden = city == null;
  if (city == null) renderCities(); else renderCity(city);
}

async function refresh() {
  if (refreshing) { again = true; return; }
  refreshing = true;
  try {
    picture = await api('/api/rollup');
    render();
  } catch (e) {
    if (!(e instanceof HttpError && e.status === 401)) {
      $('rollup-message').textContent = t('ru_readFailed', { m: e.message });
    }
  } finally {
    refreshing = false;
    if (again) { again = false; refresh(); }
  }
}

function setLive(live) {
  const badge = $('live-state');
  if (!state.session) { badge.textContent = ''; return; }
  badge.className = 'live-state ' + (live ? 'is-live' : 'is-down');
  badge.textContent = live ? t('live') : t('notLive');
}

function loginFirst() {
  state.session = null;
  stopEvents();
  setLive(false);
  $('rollup-message').textContent = t('ru_loginFirst');
  $('rollup-login').hidden = false;
}

function applyLanguage() {
  document.documentElement.lang = lang;
  for (const node of document.querySelectorAll('[data-i18n]')) node.textContent = t(node.dataset.i18n);
  document.title = t('ru_title');
  const other = $('toggle-lang');
  other.textContent = lang === 'sv' ? 'English' : 'Svenska';
  other.lang = lang === 'sv' ? 'en' : 'sv';
  setLive(state.live);
  if (picture) render();
  else if (!$('rollup-login').hidden) $('rollup-message').textContent = t('ru_loginFirst');
}

onApiEvents({
  sessionEnded: loginFirst,
  live: (live) => { state.live = live; setLive(live); },
  changed: refresh,
  ping: refresh,
});
window.addEventListener('hashchange', render);
$('back').addEventListener('click', (e) => {
  e.preventDefault();
  window.location.hash = '';
});
$('toggle-lang').addEventListener('click', () => {
  setLang(lang === 'sv' ? 'en' : 'sv');
  applyLanguage();
});
applyLanguage();
(async () => {
  try {
    const res = await fetch('/api/session', { credentials: 'same-origin', cache: 'no-store' });
    if (!res.ok) { loginFirst(); return; }
    state.session = await res.json();
    $('rollup-login').hidden = true;
    connectEvents();  // its hello reads the picture
  } catch (e) {
    $('rollup-message').textContent = t('ru_readFailed', { m: e.message });
  }
})();
