// The providers tab: every provider with its liveness and continuity, and one provider's page
// (its units and its reports, newest first, fetched 50 at a time).
import { t } from './i18n.js';
import { state } from './state.js';
import { $, el, livenessBadge, modeBadge, stateBadge, STATES } from './dom.js';
import { fmtTime, n } from './format.js';
import { api } from './api.js';
import { LIVE_ORDER, renderHead, renderUnitRows, unitColumns } from './units.js';

// Beyond this the provider's clock is flagged (broker/picture/view.h, kClockOffsetWarnMs).
const CLOCK_OFFSET_WARN_S = 120;

// A warning when the provider's measured clock offset is beyond two minutes, else null.
function clockFlag(pr) {
  const s = pr.clock_offset_s;
  if (typeof s !== 'number' || Math.abs(s) <= CLOCK_OFFSET_WARN_S) return null;
  const min = Math.round(Math.abs(s) / 60);
  return el('span', { cls: 'res-bad clock-off', text: t(s > 0 ? 'clockAhead' : 'clockBehind', { m: min }),
    attrs: { title: t('clockHint') } });
}

export function renderProviders() {
  const p = state.picture;
  if (!p) return;
  const head = $('providers-head');
  head.replaceChildren(...['colProvider', 'colId', 'colLiveness', 'colLastSeen', 'colContinuity', 'colUnits']
    .map((k) => el('th', { text: t(k), attrs: { scope: 'col' } })));
  const body = $('providers-body');
  body.replaceChildren();
  const order = p.providers.slice().sort((a, b) => (LIVE_ORDER[a.liveness] - LIVE_ORDER[b.liveness]) || a.name.localeCompare(b.name, 'sv'));
  for (const pr of order) {
    const counts = {};
    for (const u of pr.units) counts[u.operational] = (counts[u.operational] || 0) + 1;
    const unitsCell = el('td', { cls: 'c-units' });
    for (const s of STATES) if (counts[s]) unitsCell.append(el('span', { cls: 'sub' }, stateBadge(s), ' ' + counts[s]));
    if (!pr.units.length) unitsCell.textContent = '0';
    const cont = pr.continuity || 'ok';
    const clock = clockFlag(pr);
    body.append(el('tr', { data: { provider: pr.id } },
      el('td', {}, el('a', { text: pr.name, attrs: { href: '#provider/' + encodeURIComponent(pr.id) } })),
      el('td', { text: pr.id }),
      el('td', {}, livenessBadge(pr.liveness)),
      el('td', {}, pr.last_seen ? fmtTime(pr.last_seen) : t('never'), clock ? ' ' : null, clock),
      el('td', { cls: cont === 'ok' ? '' : 'res-bad', text: t('cont_' + cont) + (pr.continuity_from ? ' (' + fmtTime(pr.continuity_from) + ')' : '') }),
      unitsCell));
  }
}

function historyText(item) {
  const p = item.payload;
  if (!p) return t('undecodable');
  switch (item.kind) {
    case 'unit_status': {
      const parts = [p.unit + ': ' + t('st_' + (STATES.includes(p.operational) ? p.operational : 'unknown'))];
      if (p.reason) parts.push(p.reason);
      parts.push(t('pupilsStaff', { p: n(p.pupils_present), e: n(p.pupils_enrolled), a: n(p.staff_available), t: n(p.staff_total) }));
      if (p.note) parts.push('“' + p.note + '”');
      return parts.join(' · ');
    }
    case 'capacity': return p.unit + ': ' + t('capacityRows', { n: p.entries.length });
    case 'continuity': return t('cont_' + p.state) + (p.note ? ' · “' + p.note + '”' : '');
    case 'readiness_answer': {
      const passed = p.results.filter((r) => r.passed).length;
      return p.check_id + ': ' + t('testsPassed', { p: passed, t: p.results.length }) + (p.confirmed ? ' · ' + t('confirmedByPerson') : '');
    }
    case 'directive_ack': return p.directive_id + ': ' + p.kind;
    default: return JSON.stringify(p);
  }
}

function renderTimeline(append) {
  const list = $('timeline');
  if (!append) list.replaceChildren();
  if (!state.history.length) {
    list.replaceChildren(el('li', { text: t('noHistory') }));
  } else {
    const from = append ? list.children.length : 0;
    for (const item of state.history.slice(from)) {
      const li = el('li', { data: { frame: item.frame_id } },
        el('span', { cls: 'when', text: fmtTime(item.sent_at) }),
        el('span', { cls: 'kind', text: t('k_' + item.kind) + ' · #' + item.seq }));
      if (item.mode !== 'actual') li.append(' ', modeBadge(item.mode));
      li.append(el('span', { cls: 'what', text: historyText(item) }));
      list.append(li);
    }
  }
  $('timeline-more').hidden = state.nextBefore === null;
}

export async function loadProvider(id, more) {
  const before = more && state.nextBefore ? '&before=' + state.nextBefore : '';
  const d = await api('/api/providers/' + encodeURIComponent(id) + '?limit=50' + before);
  if (state.provider !== id) return;
  state.providerDetail = d;
  state.history = more ? state.history.concat(d.history.items) : d.history.items;
  state.nextBefore = d.history.next_before;
  renderProviderDetail(more);
}

export function renderProviderDetail(appendOnly) {
  const d = state.providerDetail;
  if (!d) return;
  const pr = d.provider;
  $('provider-title').textContent = pr.name + ' (' + pr.id + ')';
  const facts = $('provider-facts');
  facts.replaceChildren(livenessBadge(pr.liveness), ' · ' + t('colLastSeen') + ': ' +
    (pr.last_seen ? fmtTime(pr.last_seen) : t('never')) + ' · ' + t('colContinuity') + ': ' + t('cont_' + (pr.continuity || 'ok')));
  const clock = clockFlag(pr);
  if (clock) facts.append(' · ', clock);
  if (!appendOnly) {
    const cols = unitColumns(false);
    renderHead('provider-units-head', cols, () => renderProviderDetail(false));
    renderUnitRows('provider-units-body', d.units, cols);
  }
  renderTimeline(appendOnly);
}
