// The wall screen (/?view=wall): the same session and live stream as the board, without
// controls, in large type, for a screen nobody touches. It shows the counts, every unit not in
// normal operation (worst first) and every provider that is silent (offline, stale, never
// heard), and moves on by itself with each change. Lists that do not fit end in "+ N more".
import { t } from './i18n.js';
import { state } from './state.js';
import { $, el, icon, LIVENESS, livenessBadge, stateBadge, STATES, tile } from './dom.js';
import { ageNow, fmtAge, fmtTime, n } from './format.js';
import { allUnits, HEADLINE_STATES, LIVE_ORDER } from './units.js';

const SEVERITY = Object.fromEntries(STATES.map((s, i) => [s, i]));
const SILENT = ['offline', 'stale', 'never'];

export const isWall = () => new URLSearchParams(location.search).get('view') === 'wall';

function renderTiles(p) {
  const box = $('wall-tiles');
  box.replaceChildren();
  const su = p.summary.units;
  for (const s of HEADLINE_STATES) {
    if (s === 'relocated' && !su.relocated) continue;
    const tl = tile('s-' + s, su[s] || 0, s, t('st_' + s));
    tl.dataset.state = s;
    box.append(tl);
  }
  const sp = p.summary.providers;
  let first = true;
  for (const l of LIVENESS) {
    if (l === 'never' && !sp.never) continue;
    const tl = tile('l-' + l, sp[l] || 0, l, t('providersTotal') + ': ' + t('lv_' + l), first ? ' group-start' : '');
    tl.dataset.liveness = l;
    box.append(tl);
    first = false;
  }
  if (su.old) box.append(tile('s-reduced', su.old, 'old', t('oldReports')));
}

function unitItem(u) {
  const li = el('li', { cls: 'wall-item', data: { code: u.code, state: u.operational } },
    stateBadge(u.operational),
    el('span', { cls: 'wall-name', text: u.name || u.code }),
    el('span', { cls: 'wall-meta', text: [u.district, u.reason].filter(Boolean).join(' · ') }));
  if (u.pupils_present !== null && u.pupils_present !== undefined) {
    li.append(el('span', { cls: 'wall-meta', text: t('pupilsShort', { p: n(u.pupils_present), e: n(u.pupils_enrolled) }) }));
  }
  if (u.old) {
    li.append(el('span', { cls: 'old-mark' }, icon('old'),
      ' ' + t('reportAge', { age: fmtAge(ageNow(u.age_school_s ?? u.age_s)) })));
  }
  return li;
}

function providerItem(pr) {
  const heard = pr.last_seen ? t('lastHeardAgo', { age: fmtAge((Date.now() - Date.parse(pr.last_seen)) / 1000) })
    : t('neverHeard');
  return el('li', { cls: 'wall-item', data: { provider: pr.id, liveness: pr.liveness } },
    livenessBadge(pr.liveness),
    el('span', { cls: 'wall-name', text: pr.name }),
    el('span', { cls: 'wall-meta', text: heard, title: pr.last_seen ? fmtTime(pr.last_seen) : '' }),
    el('span', { cls: 'wall-meta', text: t('unitsN', { n: pr.units.length }) }));
}

// Shows `items` in `list`, as many as fit its height, then "+ N more".
function fillList(list, items, emptyText) {
  list.replaceChildren();
  if (!items.length) {
    list.append(el('li', { cls: 'wall-item wall-none', text: emptyText }));
    return;
  }
  for (const item of items) list.append(item);
  const overflows = () => list.scrollHeight > list.clientHeight + 1;
  let hidden = 0;
  while (overflows() && list.children.length > 1) {
    list.lastElementChild.remove();
    hidden++;
  }
  if (!hidden) return;
  const more = el('li', { cls: 'wall-item wall-more' });
  list.append(more);
  // The line that says how many more there are may itself need the room of one more item.
  for (;;) {
    more.textContent = t('wallMore', { n: hidden });
    if (!overflows() || list.children.length <= 1) break;
    more.previousElementSibling.remove();
    hidden++;
  }
}

export function renderWall() {
  const p = state.picture;
  if (!p) return;
  renderTiles(p);
  const units = allUnits().filter((u) => u.operational !== 'normal' && u.operational !== 'unknown')
    .sort((a, b) => (SEVERITY[a.operational] - SEVERITY[b.operational]) || (a.name || a.code).localeCompare(b.name || b.code, 'sv'));
  $('wall-units-title').textContent = t('wallUnitsTitle', { n: units.length });
  fillList($('wall-units'), units.map(unitItem), t('wallNoUnits'));
  const silent = p.providers.filter((pr) => SILENT.includes(pr.liveness))
    .sort((a, b) => (LIVE_ORDER[a.liveness] - LIVE_ORDER[b.liveness]) || a.name.localeCompare(b.name, 'sv'));
  $('wall-silent-title').textContent = t('wallSilentTitle', { n: silent.length });
  fillList($('wall-silent'), silent.map(providerItem), t('wallNoSilent'));
  tickWallClock();
}

export function tickWallClock() {
  const c = $('wall-clock');
  if (!state.wall) return;
  c.hidden = false;
  c.textContent = new Intl.DateTimeFormat('sv-SE', { timeZone: 'Europe/Stockholm', hour: '2-digit', minute: '2-digit' }).format(new Date());
}
