// The units tab and the headline above every tab: the tiles that count states, the sortable and
// filterable table of every unit (also used for one provider's units), and the operator's
// what-if marks for planning.
import { t } from './i18n.js';
import { state } from './state.js';
import { $, el, icon, LIVENESS, livenessBadge, stateBadge, STATES, tile } from './dom.js';
import { ageNow, fmtAge, fmtTime, formName, n } from './format.js';
import { api, HttpError } from './api.js';
import { refresh } from './board.js';

export const HEADLINE_STATES = ['normal', 'reduced', 'remote', 'closed', 'relocated', 'unknown'];
const RESOURCES = ['heating', 'water', 'food', 'it', 'telephony'];
const NO_DISTRICT = '\u2205';  // the filter value for units without a district
const FORMS = ['forskola', 'forskoleklass', 'grundskola', 'gymnasieskola', 'fritidshem',
  'anpassad_grundskola', 'anpassad_gymnasieskola'];

export function allUnits() {
  const out = [];
  if (!state.picture) return out;
  for (const p of state.picture.providers) for (const u of p.units) out.push(u);
  return out;
}

export function renderHeadline() {
  const p = state.picture;
  const h = $('headline');
  h.replaceChildren();
  if (!p) return;
  const su = p.summary.units;
  for (const s of HEADLINE_STATES) {
    if (s === 'relocated' && !su.relocated) continue;
    const tl = tile('s-' + s, su[s] || 0, s, t('st_' + s));
    tl.dataset.state = s;
    h.append(tl);
  }
  const sp = p.summary.providers;
  let first = true;
  for (const l of LIVENESS) {
    if (l === 'never' && !sp.never) continue;
    h.append(tile('l-' + l, sp[l] || 0, l, t('providersTotal') + ': ' + t('lv_' + l), first ? ' group-start' : ''));
    first = false;
  }
  const level = p.level || 'normal';
  h.append(tile('level-tile', t('level_' + level), 'level', t('levelLabel'), ' wide'));
  h.lastChild.querySelector('.n').classList.add('small');
  const newest = p.newest_report_at;
  h.append(tile('newest', newest ? fmtTime(newest) : t('none'), 'clock', t('newestReport')));
  h.lastChild.querySelector('.n').classList.add('small');
  if (su.old) h.append(tile('s-reduced', su.old, 'old', t('oldReports')));

  const lv = $('level');
  lv.hidden = false;
  lv.className = 'level ' + level;
  lv.replaceChildren(icon('level'), ' ' + t('level_' + level),
    el('span', { cls: 'age-rule', text: ' · ' + t(p.age_counts === 'all_time' ? 'ageRuleAllTime' : 'ageRuleSchoolTime') }));
}

// Columns of the unit table: key, header text key, sort value, cell renderer.
const SEVERITY = Object.fromEntries(STATES.map((s, i) => [s, i]));
export const LIVE_ORDER = { offline: 0, stale: 1, never: 2, online: 3 };
export function unitColumns(withProvider) {
  const cols = [
    { key: 'unit', head: 'colUnit', sort: (u) => (u.name || u.code).toLowerCase(),
      cell: (u) => el('td', { cls: 'c-unit' }, el('span', { text: u.name || u.code }), u.name ? el('span', { cls: 'sub', text: u.code }) : null) },
  ];
  if (withProvider) {
    cols.push({ key: 'provider', head: 'colProvider', sort: (u) => (u.provider_name || '').toLowerCase(),
      cell: (u) => {
        const a = el('a', { text: u.provider_name, attrs: { href: '#provider/' + encodeURIComponent(u.provider_id) } });
        return el('td', { cls: 'c-provider' }, a, el('span', { cls: 'sub', text: u.provider_id }));
      } });
  }
  cols.push(
    { key: 'district', head: 'colDistrict', sort: (u) => (u.district || '').toLowerCase(),
      cell: (u) => el('td', { cls: 'c-district', text: u.district || '–' }) },
    { key: 'state', head: 'colState', sort: (u) => SEVERITY[u.operational] ?? 9,
      cell: (u) => {
        const td = el('td', { cls: 'c-state' }, stateBadge(u.operational));
        if (u.reason) td.append(el('span', { cls: 'sub', text: u.reason }));
        if (u.expected_reopen) td.append(el('span', { cls: 'sub', text: '→ ' + fmtTime(u.expected_reopen) }));
        if (u.closed_until) td.append(el('span', { cls: 'sub', text: t('closedUntil', { d: u.closed_until }) }));
        return td;
      } },
    { key: 'pupils', head: 'colPupils', sort: (u) => u.pupils_present ?? -1,
      cell: (u) => el('td', { cls: 'num c-pupils', text: n(u.pupils_present) + ' / ' + n(u.pupils_enrolled) }) },
    { key: 'staff', head: 'colStaff', sort: (u) => u.staff_available ?? -1,
      cell: (u) => el('td', { cls: 'num c-staff', text: n(u.staff_available) + ' / ' + n(u.staff_total) }) },
    { key: 'power', head: 'colPower', sort: (u) => u.electricity + (u.backup_hours ?? ''),
      cell: (u) => {
        const td = el('td', { cls: 'c-power' });
        const e = ['grid', 'backup', 'none'].includes(u.electricity) ? u.electricity : 'unknown';
        td.append(el('span', { cls: e === 'none' ? 'res-bad' : e === 'backup' ? 'res-warn' : '', text: t('el_' + e) }));
        if (u.backup_hours !== null && u.backup_hours !== undefined && e !== 'grid') {
          td.append(el('span', { cls: 'sub', text: t('backupHours', { h: u.backup_hours }) }));
        }
        return td;
      } },
    { key: 'resources', head: 'colResources', sort: (u) => RESOURCES.filter((r) => u.resources[r] === 'down').length,
      cell: (u) => {
        const td = el('td', { cls: 'c-resources' });
        if (!u.reported_at) { td.textContent = '–'; return td; }
        const bad = RESOURCES.filter((r) => u.resources[r] === 'degraded' || u.resources[r] === 'down');
        const unknown = RESOURCES.filter((r) => !['ok', 'degraded', 'down'].includes(u.resources[r]));
        if (!bad.length && !unknown.length) td.append(el('span', { text: t('allOk') }));
        if (!bad.length && unknown.length === RESOURCES.length) td.append(el('span', { cls: 'sub', text: t('sup_unknown') }));
        for (const r of bad) {
          const v = u.resources[r];
          td.append(el('span', { cls: 'sub ' + (v === 'down' ? 'res-bad' : v === 'degraded' ? 'res-warn' : ''),
            text: t('res_' + r) + ': ' + t('sup_' + v) }));
        }
        if (unknown.length && unknown.length < RESOURCES.length) {
          td.append(el('span', { cls: 'sub', text: unknown.map((r) => t('res_' + r)).join(', ') + ': ' + t('sup_unknown') }));
        }
        if (u.food_days !== null && u.food_days !== undefined) td.append(el('span', { cls: 'sub', text: t('foodDays', { d: u.food_days }) }));
        return td;
      } },
    { key: 'note', head: 'colNote', sort: (u) => (u.note || '').toLowerCase(),
      cell: (u) => el('td', { cls: 'note c-note', text: u.note || '' }) },
    { key: 'age', head: 'colAge', sort: (u) => u.age_school_s ?? u.age_s ?? Infinity,
      cell: (u) => {
        const td = el('td', { cls: 'c-age' });
        if (!u.reported_at) { td.append(el('span', { cls: 'sub', text: t('notReported') })); return td; }
        // The age shown and the "old" mark count school time while the level is normal
        // (picture.age_counts); the title gives the report's time and its wall-clock age.
        const school = u.age_school_s ?? u.age_s;
        td.append(el('span', { cls: 'age', text: fmtAge(ageNow(school)),
          title: fmtTime(u.reported_at) + ' · ' + t('wallAge', { age: fmtAge(ageNow(u.age_s)) }) }));
        if (u.old) td.append(el('span', { cls: 'old-mark sub' }, icon('old'), ' ' + (u.expired ? t('expired') : t('old'))));
        return td;
      } },
    { key: 'liveness', head: 'colLiveness', sort: (u) => LIVE_ORDER[u.liveness] ?? 9,
      cell: (u) => el('td', { cls: 'c-liveness' }, livenessBadge(u.liveness)) },
  );
  if (state.session && state.session.role === 'operator') {
    cols.push({ key: 'whatif', head: 'colWhatIf', sort: (u) => (u.whatif_failing ? 0 : 1),
      cell: (u) => {
        const td = el('td', { cls: 'whatif c-whatif' });
        if (u.whatif_failing) td.append(el('span', { cls: 'whatif-on sub', text: t('whatIfOn') }));
        const b = el('button', { text: u.whatif_failing ? t('whatIfUnmark') : t('whatIfMark'), attrs: { type: 'button' } });
        b.addEventListener('click', () => toggleWhatIf(u.code, !u.whatif_failing, b));
        td.append(b);
        return td;
      } });
  }
  return cols;
}

export function renderHead(rowId, cols, onSort) {
  const tr = $(rowId);
  tr.replaceChildren();
  for (const c of cols) {
    const th = el('th', { text: t(c.head), cls: 'sortable', attrs: { scope: 'col', tabindex: '0' } });
    if (state.sort.key === c.key) th.setAttribute('aria-sort', state.sort.dir > 0 ? 'ascending' : 'descending');
    const go = () => {
      state.sort = { key: c.key, dir: state.sort.key === c.key ? -state.sort.dir : 1 };
      onSort();
    };
    th.addEventListener('click', go);
    th.addEventListener('keydown', (e) => { if (e.key === 'Enter' || e.key === ' ') { e.preventDefault(); go(); } });
    tr.append(th);
  }
}

function sortUnits(units, cols) {
  const col = cols.find((c) => c.key === state.sort.key) || cols[0];
  const dir = state.sort.dir;
  return units.slice().sort((a, b) => {
    const x = col.sort(a), y = col.sort(b);
    if (x < y) return -dir;
    if (x > y) return dir;
    return (a.name || a.code).localeCompare(b.name || b.code, 'sv');
  });
}

export function renderUnitRows(bodyId, units, cols) {
  const body = $(bodyId);
  body.replaceChildren();
  for (const u of sortUnits(units, cols)) {
    const tr = el('tr', { data: { code: u.code, state: u.operational } });
    if (u.old) tr.classList.add('old');
    const before = state.previousStates.get(u.code);
    if (before !== undefined && before !== u.operational) tr.classList.add('changed');
    for (const c of cols) tr.append(c.cell(u));
    body.append(tr);
  }
}

function fillSelect(id, values, labelOf) {
  const sel = $(id);
  const current = sel.value;
  sel.replaceChildren(el('option', { text: t('all'), attrs: { value: '' } }));
  for (const v of values) sel.append(el('option', { text: labelOf(v), attrs: { value: v } }));
  sel.value = values.includes(current) ? current : '';
}

function renderFilters(units) {
  const districts = [...new Set(units.map((u) => u.district || NO_DISTRICT))].sort((a, b) => a.localeCompare(b, 'sv'));
  fillSelect('f-district', districts, (d) => (d === NO_DISTRICT ? t('noDistrict') : d));
  const providers = new Map(units.map((u) => [u.provider_id, u.provider_name]));
  const ids = [...providers.keys()].sort((a, b) => (providers.get(a) || '').localeCompare(providers.get(b) || '', 'sv'));
  fillSelect('f-provider', ids, (id) => (providers.get(id) || id) + ' (' + id + ')');
  fillSelect('f-state', HEADLINE_STATES, (s) => t('st_' + s));
  const forms = [...new Set(units.flatMap((u) => u.school_forms || []))]
    .sort((a, b) => (FORMS.indexOf(a) + 99 * (FORMS.indexOf(a) < 0)) - (FORMS.indexOf(b) + 99 * (FORMS.indexOf(b) < 0)));
  fillSelect('f-form', forms, formName);
}

function filteredUnits(units) {
  const q = $('f-query').value.trim().toLowerCase();
  const d = $('f-district').value, pr = $('f-provider').value, s = $('f-state').value, f = $('f-form').value;
  return units.filter((u) => {
    if (d && (u.district || NO_DISTRICT) !== d) return false;
    if (pr && u.provider_id !== pr) return false;
    if (s && u.operational !== s) return false;
    if (f && !(u.school_forms || []).includes(f)) return false;
    if (q) {
      const hay = [u.code, u.name, u.provider_name, u.provider_id, u.district, u.note, u.reason].join('\n').toLowerCase();
      if (!hay.includes(q)) return false;
    }
    return true;
  });
}

export function renderUnits() {
  const units = allUnits();
  renderFilters(units);
  const cols = unitColumns(true);
  renderHead('units-head', cols, renderUnits);
  const shown = filteredUnits(units);
  renderUnitRows('units-body', shown, cols);
  $('unit-count').textContent = t('unitsShown', { n: shown.length, t: units.length });
  const ex = state.picture ? state.picture.exercise.length : 0;
  $('exercise-note').hidden = ex === 0;
  $('exercise-note').textContent = t(ex === 1 ? 'exerciseNote1' : 'exerciseNote', { n: ex });
}

async function toggleWhatIf(code, failing, button) {
  button.disabled = true;
  try {
    await api('/api/units/' + encodeURIComponent(code) + '/what-if', { method: 'POST', body: { failing } });
    await refresh();
  } catch (e) {
    button.disabled = false;
    if (!(e instanceof HttpError && e.status === 401)) window.alert(t('whatIfFailed', { m: e.message }));
  }
}
