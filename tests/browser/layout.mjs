// In-page layout checks for the board's browser test, run with page.evaluate(layoutProblems):
// every table container, table and tile on screen (and the page itself) must not be wider than
// its box (scrollWidth <= clientWidth: nothing scrolls sideways), and no word of the text in a
// table, a wall list or the headline may be split over two lines. Returns the problems found
// (empty when the layout holds) and how many words were looked at, so a check that looked at
// nothing is visible.
export function layoutProblems() {
  const problems = [];
  const wide = (node) => node.scrollWidth > node.clientWidth + 1;
  const se = document.scrollingElement;
  if (wide(se)) problems.push(`page scrolls sideways: ${se.scrollWidth} > ${se.clientWidth}`);
  for (const wrap of document.querySelectorAll('.table-wrap, .wall-list, table, .tile')) {
    if (wrap.offsetParent === null) continue;  // not on screen
    if (wide(wrap)) problems.push(`${wrap.id || wrap.className || wrap.tagName} scrolls sideways: ${wrap.scrollWidth} > ${wrap.clientWidth}`);
  }
  // Every word of every visible cell's text stays on one line. Words are split at white space
  // and after hyphens (where breaking is allowed).
  const roots = [...document.querySelectorAll('table, .wall-items, .headline')].filter((n) => n.offsetParent !== null);
  let words = 0;
  for (const root of roots) {
    const walker = document.createTreeWalker(root, NodeFilter.SHOW_TEXT);
    for (let node = walker.nextNode(); node; node = walker.nextNode()) {
      if (!node.parentElement || node.parentElement.offsetParent === null) continue;
      const text = node.textContent;
      const re = /[^\s-]+-?/g;
      let m;
      while ((m = re.exec(text)) !== null) {
        const range = document.createRange();
        range.setStart(node, m.index);
        range.setEnd(node, m.index + m[0].length);
        const tops = new Set([...range.getClientRects()].filter((r) => r.width > 0).map((r) => Math.round(r.top)));
        words++;
        if (tops.size > 1) problems.push(`word broken across lines: "${m[0]}" in ${node.parentElement.closest('[id]')?.id || node.parentElement.tagName}`);
      }
    }
  }
  return { problems, words };
}
