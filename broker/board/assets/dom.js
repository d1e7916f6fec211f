// Building the page from data, text only: elements whose text is set with textContent (never
// parsed as markup), the shapes that repeat every state so it never rests on colour alone, the
// badges and tiles made of them, and plain tables.
import { t } from './i18n.js';

// Operational states, worst first, and provider liveness, as the API names them.
export const STATES = ['closed', 'relocated', 'remote', 'reduced', 'unknown', 'normal'];
export const LIVENESS = ['online', 'stale', 'offline', 'never'];

export const $ = (id) => document.getElementById(id);

export function el(tag, opts, ...children) {
  const node = document.createElement(tag);
  if (opts) {
    if (opts.cls) node.className = opts.cls;
    if (opts.text !== undefined && opts.text !== null) node.textContent = String(opts.text);
    if (opts.title) node.title = opts.title;
    if (opts.attrs) for (const [k, v] of Object.entries(opts.attrs)) node.setAttribute(k, v);
    if (opts.data) for (const [k, v] of Object.entries(opts.data)) node.dataset[k] = v;
  }
  for (const c of children) {
    if (c === null || c === undefined) continue;
    node.append(typeof c === 'string' ? document.createTextNode(c) : c);
  }
  return node;
}

const SVG = 'http://www.w3.org/2000/svg';
// Shapes, so state never depends on colour alone.
export function icon(shape) {
  const svg = document.createElementNS(SVG, 'svg');
  svg.setAttribute('viewBox', '0 0 16 16');
  svg.setAttribute('width', '1em');
  svg.setAttribute('height', '1em');
  svg.setAttribute('aria-hidden', 'true');
  const add = (name, attrs) => {
    const n = document.createElementNS(SVG, name);
    for (const [k, v] of Object.entries(attrs)) n.setAttribute(k, v);
    svg.append(n);
  };
  const stroke = { fill: 'none', stroke: 'currentColor', 'stroke-width': '2' };
  switch (shape) {
    case 'normal': case 'online':
      add('circle', { cx: 8, cy: 8, r: 7, fill: 'currentColor' });
      add('path', { d: 'M4.5 8.2 L7 10.7 L11.5 5.5', fill: 'none', stroke: '#fff', 'stroke-width': '2' });
      break;
    case 'reduced': case 'stale': case 'old':
      add('path', { d: 'M8 1 L15 14.5 L1 14.5 Z', fill: 'currentColor' });
      add('path', { d: 'M8 5.5 L8 9.5 M8 11.3 L8 12.8', stroke: '#fff', 'stroke-width': '1.8' });
      break;
    case 'remote':
      add('path', { d: 'M8 0.8 L15.2 8 L8 15.2 L0.8 8 Z', fill: 'currentColor' });
      break;
    case 'closed': case 'offline':
      add('rect', { x: 1, y: 1, width: 14, height: 14, fill: 'currentColor' });
      add('path', { d: 'M4.5 4.5 L11.5 11.5 M11.5 4.5 L4.5 11.5', stroke: '#fff', 'stroke-width': '2' });
      break;
    case 'relocated':
      add('path', { d: 'M1 6 L9 6 L9 2 L15 8 L9 14 L9 10 L1 10 Z', fill: 'currentColor' });
      break;
    case 'never':
      add('path', { d: 'M2 8 L14 8', ...stroke });
      break;
    case 'level':
      add('path', { d: 'M8 1 L14 4 L14 9 C14 12 11 14.5 8 15 C5 14.5 2 12 2 9 L2 4 Z', fill: 'currentColor' });
      break;
    case 'clock':
      add('circle', { cx: 8, cy: 8, r: 6.5, ...stroke });
      add('path', { d: 'M8 4 L8 8.5 L11 10', ...stroke });
      break;
    default: // unknown
      add('circle', { cx: 8, cy: 8, r: 6.5, ...stroke });
      add('path', { d: 'M6 6.2 C6 3.8 10 3.8 10 6.2 C10 7.8 8 7.8 8 9.6 M8 11.4 L8 12.8', ...stroke });
  }
  return svg;
}

export function stateBadge(op) {
  const s = STATES.includes(op) ? op : 'unknown';
  return el('span', { cls: 'badge s-' + s }, icon(s), t('st_' + s));
}
export function livenessBadge(l) {
  const s = LIVENESS.includes(l) ? l : 'never';
  return el('span', { cls: 'badge l-' + s }, icon(s), t('lv_' + s));
}
export function modeBadge(mode) { return el('span', { cls: 'mode-badge', text: t('mode_' + mode) }); }

export function okBadge(ok, text) {
  return el('span', { cls: 'badge ' + (ok ? 's-normal' : 's-closed') }, icon(ok ? 'normal' : 'closed'), text);
}
export function warnBadge(text) { return el('span', { cls: 'badge s-reduced' }, icon('reduced'), text); }

export function tile(cls, count, iconShape, label, extra) {
  const div = el('div', { cls: 'tile ' + cls + (extra || '') });
  div.append(el('span', { cls: 'n', text: count }));
  div.append(el('span', { cls: 'label' }, iconShape ? icon(iconShape) : null, label));
  return div;
}

export function headRow(rowId, keys) {
  $(rowId).replaceChildren(...keys.map((k) => el('th', { text: t(k), attrs: { scope: 'col' } })));
}
export function emptyRow(body, cols, text) {
  body.replaceChildren(el('tr', {}, el('td', { text, attrs: { colspan: String(cols) } })));
}
export function simpleTable(table, keys, rows, emptyText) {
  const body = el('tbody');
  if (!rows.length) body.append(el('tr', {}, el('td', { text: emptyText, attrs: { colspan: String(keys.length) } })));
  for (const r of rows) body.append(r);
  table.replaceChildren(el('thead', {}, el('tr', {}, ...keys.map((k) => el('th', { text: t(k), attrs: { scope: 'col' } })))), body);
}
