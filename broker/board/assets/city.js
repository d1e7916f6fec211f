// The city's work: readiness checks, directives and takeover planning. Fetched only for the tab on
// screen, again on each change event (a readiness answer, a directive acknowledgement, a report
// are all frames); one fetch at a time, a request during it runs once it is done.
import { t } from './i18n.js';
import { state } from './state.js';
import { $, el } from './dom.js';
import { levelName } from './format.js';
import { HttpError } from './api.js';
import { loadDirectives } from './directives.js';
import { FILLS, loadPlanning } from './planning.js';
import { loadReadiness } from './readiness.js';

export const CITY_TABS = ['readiness', 'directives', 'planning'];
const LEVELS = ['unchanged', 'normal', 'heightened', 'highest'];
const EXPIRIES = ['1h', '8h', '24h', '3d', '7d'];

export async function refreshCity(force) {
  if (!state.session || !CITY_TABS.includes(state.tab)) return;
  if (state.cityBusy) { state.cityAgain = state.cityAgain || force || 'soft'; return; }
  state.cityBusy = true;
  const tab = state.tab;
  try {
    if (tab === 'readiness') await loadReadiness(force);
    else if (tab === 'directives') await loadDirectives();
    else if (tab === 'planning') await loadPlanning(force);
  } catch (e) {
    if (!(e instanceof HttpError && e.status === 401)) {
      state.cityError = t('loadFailed', { m: e.message });
      renderCityError(tab);
    }
  } finally {
    state.cityBusy = false;
    if (state.cityAgain) { const again = state.cityAgain === true; state.cityAgain = false; refreshCity(again); }
  }
}

function renderCityError(tab) {
  const where = { readiness: 'readiness-facts', directives: 'directives-note', planning: 'plan-note' }[tab];
  if (where) { $(where).textContent = state.cityError; $(where).classList.add('error'); }
}

export function fillCitySelects() {
  const fill = (id, values, label, fallback) => {
    const sel = $(id);
    const current = sel.value || fallback;
    sel.replaceChildren(...values.map((v) => el('option', { text: label(v), attrs: { value: v } })));
    sel.value = values.includes(current) ? current : fallback;
  };
  fill('d-level', LEVELS, levelName, 'unchanged');
  fill('d-expires', EXPIRIES, (e) => t('exp_' + e), '24h');
  fill('d-mode', ['actual', 'exercise'], (m) => t('mode_' + m), 'actual');
  fill('p-horizon', ['now', '72h'], (h) => t('hz_' + h), 'now');
  fill('p-fill', FILLS, (f) => t('fillPct', { p: Math.round(Number(f) * 100) }), '0.95');
}
