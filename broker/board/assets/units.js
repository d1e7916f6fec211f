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

// Columns of the unit table: key, header text key, sort value, cell renderer. The columns that
// matter come first and fit a 1920 px screen in large type; the rest of a unit (electricity,
// other resources, the note, what-if marks) is folded into a details row under it, opened with
// the last column's button, which says in a few words what is inside.
const SEVERITY = Object.fromEntries(STATES.map((s, i) => [s, i]));
export const LIVE_ORDER = { offline: 0, stale: 1, never: 2, online: 3 };
export function unitColumns(withProvider) {
  const cols = [
    { key: 'unit', head: 'colUnit', sort: (u) => (u.name || u.code).toLowerCase(),
      cell: (u) => el('td', { cls: 'c-unit' }, el('span', { text: u.name || u.code }), u.name ? el('span', { cls: 'sub', text: u.code }) : null) },
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
  ];
  if (withProvider) {
    cols.push({ key: 'provider', head: 'colProvider', sort: (u) => (LIVE_ORDER[u.liveness] ?? 9) + (u.provider_name || '').toLowerCase(),
      cell: (u) => {
        const a = el('a', { text: u.provider_name, attrs: { href: '#provider/' + encodeURIComponent(u.provider_id) } });
        return el('td', { cls: 'c-provider' }, a, el('span', { cls: 'sub c-liveness' }, livenessBadge(u.liveness)));
      } });
  }
  cols.push({ key: 'details', head: 'colDetails', sort: null, cell: (u) => detailsToggle(u) });
  return cols;
}

// What the details row holds, in a few words: problems with power and resources, a note, a mark.
function detailsSummary(u) {
  const parts = [];
  if (u.electricity === 'backup' || u.electricity === 'none') parts.push(t('el_' + u.electricity));
  const bad = RESOURCES.filter((r) => u.resources && (u.resources[r] === 'degraded' || u.resources[r] === 'down'));
  if (bad.length === 1) parts.push(t('res_' + bad[0]) + ' ' + t('sup_' + u.resources[bad[0]]));
  if (bad.length > 1) parts.push(t('resourcesBad', { n: bad.length }));
  if (u.note) parts.push(t('colNote'));
  if (u.whatif_failing) parts.push(t('whatIfShort'));
  return parts;
}

function detailsToggle(u) {
  const open = state.openDetails.has(u.code) || state.allDetails;
  const parts = detailsSummary(u);
  const b = el('button', { cls: 'details-toggle', attrs: { type: 'button', 'aria-expanded': String(open) } },
    el('span', { cls: 'toggle-mark', text: open ? '▾' : '▸', attrs: { 'aria-hidden': 'true' } }), ' ' + t('details'));
  b.addEventListener('click', () => {
    if (state.openDetails.has(u.code)) state.openDetails.delete(u.code); else state.openDetails.add(u.code);
    const row = b.closest('tr');
    const details = row && row.nextElementSibling;
    const nowOpen = state.openDetails.has(u.code) || state.allDetails;
    if (details && details.classList.contains('details')) details.hidden = !nowOpen;
    b.setAttribute('aria-expanded', String(nowOpen));
    b.querySelector('.toggle-mark').textContent = nowOpen ? '▾' : '▸';
  });
  const td = el('td', { cls: 'c-details' }, b);
  if (parts.length) td.append(el('span', { cls: 'sub details-summary', text: parts.join(' · ') }));
  return td;
}

// The details row of a unit: everything the main row leaves out, as labelled items.
function detailsRow(u, span) {
  const item = (label, ...content) => el('div', { cls: 'detail' }, el('span', { cls: 'detail-label', text: t(label) }), ...content);
  const box = el('div', { cls: 'detail-grid' });
  // The note first, across the whole row: it is what people open the details for.
  const note = el('div', { cls: 'detail detail-note' }, el('span', { cls: 'detail-label', text: t('colNote') }),
    el('span', { cls: 'note c-note', text: u.note || '' }));
  note.hidden = !u.note;
  box.append(note);
  const e = ['grid', 'backup', 'none'].includes(u.electricity) ? u.electricity : 'unknown';
  const power = el('span', { cls: 'c-power' },
    el('span', { cls: e === 'none' ? 'res-bad' : e === 'backup' ? 'res-warn' : '', text: t('el_' + e) }));
  if (u.backup_hours !== null && u.backup_hours !== undefined && e !== 'grid') power.append(' · ' + t('backupHours', { h: u.backup_hours }));
  box.append(item('colPower', power));
  const res = el('span', { cls: 'c-resources' });
  if (!u.reported_at) {
    res.textContent = '–';
  } else {
    const words = RESOURCES.map((r) => {
      const v = ['ok', 'degraded', 'down'].includes(u.resources[r]) ? u.resources[r] : 'unknown';
      return el('span', { cls: 'resource ' + (v === 'down' ? 'res-bad' : v === 'degraded' ? 'res-warn' : ''), text: t('res_' + r) + ': ' + t('sup_' + v) });
    });
    for (const w of words) res.append(w, ' ');
    if (u.food_days !== null && u.food_days !== undefined) res.append(el('span', { cls: 'resource', text: t('foodDays', { d: u.food_days }) }));
  }
  box.append(item('colResources', res));
  box.append(item('colCare', el('span', { text: t('care_' + careWord(u.critical_care)) + ' · ' + t('support_' + careWord(u.special_support)) })));
  if (u.valid_until) box.append(item('colValidUntil', el('span', { text: fmtTime(u.valid_until) })));
  if (u.reported_at) box.append(item('colReported', el('span', { text: fmtTime(u.reported_at) })));
  // What-if marks are the present's planning, not part of a past picture (api.md): no button in history.
  if (state.session && state.session.role === 'operator' && !state.asOf) {
    const w = el('div', { cls: 'detail whatif c-whatif' }, el('span', { cls: 'detail-label', text: t('colWhatIf') }));
    if (u.whatif_failing) w.append(el('span', { cls: 'whatif-on', text: t('whatIfOn') }), ' ');
    const b = el('button', { text: u.whatif_failing ? t('whatIfUnmark') : t('whatIfMark'), attrs: { type: 'button' } });
    b.addEventListener('click', () => toggleWhatIf(u.code, !u.whatif_failing, b));
    w.append(b);
    box.append(w);
  } else if (u.whatif_failing) {
    box.append(item('colWhatIf', el('span', { cls: 'whatif-on', text: t('whatIfOn') })));
  }
  const tr = el('tr', { cls: 'details', data: { for: u.code } }, el('td', { attrs: { colspan: String(span) } }, box));
  tr.hidden = !(state.openDetails.has(u.code) || state.allDetails);
  if (u.old) tr.classList.add('old');
  return tr;
}

const careWord = (v) => (['yes', 'no'].includes(v) ? v : 'unknown');

export function renderHead(rowId, cols, onSort) {
  const tr = $(rowId);
  tr.replaceChildren();
  for (const c of cols) {
    if (!c.sort) {
      tr.append(el('th', { text: t(c.head), attrs: { scope: 'col' } }));
      continue;
    }
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
  const col = cols.find((c) => c.key === state.sort.key && c.sort) || cols.find((c) => c.key === 'state') || cols[0];
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
    body.append(tr, detailsRow(u, cols.length));
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
  const districts = (state.session && state.session.districts) || [];
  $('scope-note').hidden = districts.length === 0;
  $('scope-note').textContent = districts.length ? t('scopeNote', { d: districts.join(', ') }) : '';
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
