// Real-browser test of the Samband status board (run by CTest as board_browser, via run.sh).
// Debian's chromium, driven headless by playwright-core, against a real `samband-broker serve`
// fed by real `samband-agent run` processes, all on 127.0.0.1 with free ports in a temporary
// directory. Checks: login through the page, the units appear, an agent's `closed` report
// changes its row within 2 s without a reload, the "as of" control (the unit as it was before,
// under a history banner, the stream paused; back to live), provider markup renders as text, exercise
// traffic stays apart, the readiness, directive and planning tabs (an operator sends a directive
// from the page and sees it delivered), the free seats per school form and year, every tab at
// 1920×1080 in normal and large text with no table scrolling sideways and no word broken in the
// middle (layout.mjs), the wall screen (/?view=wall) following a change live, changing one's own
// password (another session of the user ends), the "not live" banner during a broker restart and
// the reconnect, logout.
// Saves screenshots of every tab to $SAMBAND_SCREENSHOT_DIR. Stops every process it started, also
// on failure.
//
// Environment: SAMBAND_BROKER_BIN, SAMBAND_AGENT_BIN (required), SAMBAND_SCREENSHOT_DIR,
// CHROMIUM (default /usr/bin/chromium), SAMBAND_KEEP=1 keeps the temporary directory.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { chromium } from 'playwright-core';

import { Harness } from './harness.mjs';
import { layoutProblems } from './layout.mjs';

const BROKER = process.env.SAMBAND_BROKER_BIN;
const AGENT = process.env.SAMBAND_AGENT_BIN;
const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';
const SHOTS = process.env.SAMBAND_SCREENSHOT_DIR || path.join(os.tmpdir(), 'samband-board-screenshots');
const USER = 'anna';
const PASSWORD = 'ett långt lösenord för test';
const UNIT_A = '12345678';
// A week from today in the local calendar: a closure beyond the planning horizon (three days).
const week = new Date(Date.now() + 7 * 86400000);
const closedUntil = `${week.getFullYear()}-${String(week.getMonth() + 1).padStart(2, '0')}-${String(week.getDate()).padStart(2, '0')}`;
const UNIT_B = '23456789';
const UNIT_C = '34567890';
const TABS = ['units', 'providers', 'capacity', 'exercise', 'readiness', 'directives', 'planning'];
const NEW_PASSWORD = 'ett annat långt lösenord för test';

let dir = '';

const h = new Harness('board_browser');
const { log, check, freePort, run, start, stop, waitFor, httpStatus } = h.functions();

async function main() {
  if (!BROKER || !AGENT) throw new Error('set SAMBAND_BROKER_BIN and SAMBAND_AGENT_BIN (CTest does)');
  for (const bin of [BROKER, AGENT]) {
    if (!fs.existsSync(bin)) throw new Error(`${bin} does not exist; build it first (make build)`);
  }
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'samband-board-browser-'));
  h.dir = dir;
  fs.mkdirSync(SHOTS, { recursive: true });
  const zmqPort = await freePort();
  let boardPort = await freePort();
  while (boardPort === zmqPort) boardPort = await freePort();
  const brokerDir = path.join(dir, 'broker');
  const config = path.join(brokerDir, 'broker.toml');
  const board = `http://127.0.0.1:${boardPort}`;
  log('working in', dir, 'board at', board);

  run(BROKER, ['init', '--dir', brokerDir, '--listen', `tcp://127.0.0.1:${zmqPort}`,
    '--board-listen', `127.0.0.1:${boardPort}`]);
  run(BROKER, ['user', 'add', '--config', config, '--name', USER, '--role', 'operator'], PASSWORD + '\n');

  const agents = [
    { dir: path.join(dir, 'agent-ek'), provider: '556677-8899', name: 'Skolbolaget Ek AB', units: [UNIT_A, UNIT_B] },
    { dir: path.join(dir, 'agent-lonn'), provider: '112233-4455', name: 'Friskolan <Lönn> & "Co"', units: [UNIT_C] },
  ];
  for (const a of agents) {
    const args = ['init', '--dir', a.dir, '--provider', a.provider, '--name', a.name,
      '--broker', `tcp://127.0.0.1:${zmqPort}`, '--city-keys', path.join(brokerDir, 'city.pub')];
    for (const u of a.units) args.push('--unit', u);
    run(AGENT, args);
    run(BROKER, ['enroll', '--config', config, '--request', path.join(a.dir, 'enroll-request.json')]);
    // Reconnect quickly after the broker restart below (the default backoff reaches 30 s).
    const toml = path.join(a.dir, 'agent.toml');
    fs.writeFileSync(toml, fs.readFileSync(toml, 'utf8').replace(/reconnect_max_ms = \d+/, 'reconnect_max_ms = 1000'));
    a.config = toml;
  }
  const report = (a, unit, ...args) => run(AGENT, ['report', '--config', a.config, '--unit', unit, ...args]);
  // Names and districts as long as Stockholm's, so the layout is tried with real lengths.
  const roster = path.join(dir, 'units.csv');
  fs.writeFileSync(roster, 'unit_code,unit_name,provider_id,district,lat,lon,school_forms\n' +
    `${UNIT_A},Anpassad grundskola Enskededalen,556677-8899,Enskede-Årsta-Vantör,59.2900,18.0850,grundskola:1-9\n` +
    `${UNIT_B},Förskolan Fågelsång Kärrtorp,556677-8899,Hässelby-Vällingby,59.3600,17.8700,forskola:0;forskoleklass:0\n` +
    `${UNIT_C},Internationella Engelska Skolan Hägersten,112233-4455,Hägersten-Älvsjö,59.2950,17.9800,grundskola:1-9\n`);
  run(BROKER, ['roster', 'import', '--config', config, roster]);

  let broker = start('broker', BROKER, ['serve', '--config', config]);
  await waitFor('the board to answer /healthz', async () => (await httpStatus(board + '/healthz')) === 200, 30000);
  for (const a of agents) start('agent-' + a.provider, AGENT, ['run', '--config', a.config]);

  report(agents[0], UNIT_A, '--operational', 'normal', '--pupils-enrolled', '240', '--pupils-present', '231',
    '--staff-total', '31', '--staff-available', '29', '--electricity', 'grid', '--note', '<b>x</b>');
  report(agents[0], UNIT_B, '--operational', 'reduced', '--reason', 'Hög sjukfrånvaro bland personalen, vikarier underrättade',
    '--electricity', 'backup', '--backup-hours', '18', '--telephony', 'down', '--note', '<img src=x onerror="window.__pwned=1">',
    '--capacity', 'forskoleklass:0:24:3:5', '--capacity', 'forskola:0:60:6:9');
  report(agents[1], UNIT_C, '--operational', 'remote', '--note', '<script>window.__pwned=2</script>',
    '--reason', 'Lokalerna stängda efter vattenläcka, undervisning på distans', '--capacity', 'grundskola:1:25:2:4');
  report(agents[1], UNIT_C, '--mode', 'exercise', '--operational', 'closed', '--note', 'övningsrapport');

  const userDataDir = fs.mkdtempSync(path.join(dir, 'chromium-profile-'));
  const context = await chromium.launchPersistentContext(userDataDir, {
    executablePath: CHROMIUM,
    headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    viewport: { width: 1920, height: 1080 },
    locale: 'sv-SE',
    timezoneId: 'Europe/Stockholm',
  });
  try {
    const page = context.pages()[0] || await context.newPage();
    const dialogs = [];
    page.on('dialog', (d) => { dialogs.push(d.message()); d.dismiss().catch(() => {}); });
    const consoleErrors = [];
    page.on('console', (m) => { if (m.type() === 'error') consoleErrors.push(m.text()); });
    const external = [];
    page.on('request', (r) => { if (!r.url().startsWith(board)) external.push(r.url()); });

    await page.goto(board + '/');
    await page.waitForSelector('#login-form', { state: 'visible', timeout: 15000 });
    check(await page.evaluate(() => document.documentElement.lang) === 'sv', 'the page is Swedish by default');
    await page.fill('#login-name', USER);
    await page.fill('#login-password', 'fel lösenord');
    await page.click('#login-submit');
    await page.waitForFunction(() => document.querySelector('#login-error').textContent.length > 0, null, { timeout: 30000 });
    check((await page.textContent('#login-error')).includes('Fel användarnamn'), 'a wrong password is refused on the page');
    await page.fill('#login-password', PASSWORD);
    await page.click('#login-submit');
    await page.waitForSelector('#board-view', { state: 'visible', timeout: 30000 });
    log('logged in');

    const row = (code) => `#units-body tr[data-code="${code}"]`;
    // What the main row leaves out (the note among it) is in the details row under it.
    const details = (code) => `#units-body tr.details[data-for="${code}"]`;
    await page.waitForSelector(`${row(UNIT_A)}[data-state="normal"]`, { timeout: 30000 });
    await page.waitForSelector(`${row(UNIT_B)}[data-state="reduced"]`, { timeout: 30000 });
    await page.waitForSelector(`${row(UNIT_C)}[data-state="remote"]`, { timeout: 30000 });
    check(true, 'the units reported by the real agents are on the board');
    await page.waitForFunction(() => document.querySelector('#live-banner').hidden, null, { timeout: 10000 });

    const noteA = await page.$eval(`${details(UNIT_A)} .c-note`, (td) => ({ text: td.textContent, elements: td.children.length }));
    check(noteA.text === '<b>x</b>' && noteA.elements === 0, 'a note with markup renders as text');
    const noteB = await page.$eval(`${details(UNIT_B)} .c-note`, (td) => td.textContent);
    check(noteB.includes('<img src=x'), 'an <img onerror> note renders as text');
    check(await page.evaluate(() => document.querySelectorAll('#units-table img, #units-table script, #units-table b').length) === 0,
      'no element was created from provider text');
    const providerC = await page.$eval(`${row(UNIT_C)} .c-provider a`, (a) => a.textContent);
    check(providerC === 'Friskolan <Lönn> & "Co"', 'a provider name with markup renders as text');
    check(await page.$eval(`${row(UNIT_B)} .c-state`, (td) => td.textContent.includes('Reducerad') && td.querySelector('svg') !== null),
      'state is told by a word and a shape, not colour alone');

    // Exercise traffic: apart, never in the real picture.
    check(await page.$eval(row(UNIT_C), (tr) => tr.dataset.state) === 'remote', 'the exercise report did not change the real row');
    await page.click('a[data-tab="exercise"]');
    await page.waitForSelector(`#exercise-body tr[data-code="${UNIT_C}"][data-mode="exercise"][data-state="closed"]`, { timeout: 5000 });
    check(true, 'the exercise report is shown under its own tab');
    await page.click('a[data-tab="units"]');

    // English on request, remembered across a reload.
    await page.click('#toggle-lang');
    check(await page.textContent('a[data-tab="providers"]') === 'Providers', 'English is switchable');
    await page.reload();
    await page.waitForSelector(`${row(UNIT_A)}`, { timeout: 30000 });
    check(await page.evaluate(() => document.documentElement.lang) === 'en', 'the language choice survives a reload');
    await page.click('#toggle-lang');
    await page.waitForFunction(() => document.documentElement.lang === 'sv');
    await page.waitForFunction(() => document.querySelector('#live-banner').hidden, null, { timeout: 10000 });
    await page.screenshot({ path: path.join(SHOTS, 'board-before.png'), fullPage: true });

    // The live path: an agent reports `closed`; the row must change within 2 s, without reload.
    await page.evaluate(() => { window.__noReload = true; });
    // A moment just before the closed report, as the "as of" control takes it: Stockholm time.
    const beforeClosed = new Date(Math.floor(Date.now() / 1000) * 1000)
      .toLocaleString('sv-SE', { timeZone: 'Europe/Stockholm' }).replace(' ', 'T').replace(/:00$/, '');
    // Closed for a week: beyond the planning horizon, so the planning tab plans its pupils.
    report(agents[0], UNIT_A, '--operational', 'closed', '--reason', 'Vattenläcka', '--note', '<b>x</b>',
      '--closed-until', closedUntil);
    const reported = Date.now();
    await page.waitForSelector(`${row(UNIT_A)}[data-state="closed"]`, { timeout: 2000 });
    const ms = Date.now() - reported;
    check(await page.evaluate(() => window.__noReload === true), `the row changed to closed in ${ms} ms without a reload`);
    check(await page.$eval(`${row(UNIT_A)} .c-state`, (td) => td.textContent.includes('Stängd')), 'the row says Stängd');
    check(await page.$eval(`${details(UNIT_A)} .c-note`, (td) => td.textContent === '<b>x</b>' && td.children.length === 0),
      'the new note renders as text');
    check(await page.$eval(details(UNIT_A), (tr) => tr.hidden), 'the details row is folded until asked for');
    await page.click(`${row(UNIT_A)} .details-toggle`);
    check(await page.$eval(details(UNIT_A), (tr) => !tr.hidden && tr.textContent.includes('Elnät')),
      'the details button unfolds the row with electricity, resources and the note');
    await page.screenshot({ path: path.join(SHOTS, 'board.png'), fullPage: true });
    log('screenshot saved to', path.join(SHOTS, 'board.png'));

    // The "as of" control: the picture as it was before the closed report, the stream paused and
    // a banner saying so, all by keyboard; a moment before the archive is refused on the page;
    // "Tillbaka till live" shows the closure again and reconnects the stream.
    const streams = [];
    page.on('request', (r) => { if (r.url().endsWith('/api/events')) streams.push(Date.now()); });
    await page.fill('#asof-input', beforeClosed);
    await page.focus('#asof-apply');
    await page.keyboard.press('Enter');
    await page.waitForSelector('#history-banner', { state: 'visible', timeout: 10000 });
    await page.waitForSelector(`${row(UNIT_A)}[data-state="normal"]`, { timeout: 10000 });
    const bannerText = await page.textContent('#history-banner-text');
    check(bannerText.startsWith('Historik: bilden som den var ' + beforeClosed.replace('T', ' ')),
      `a chosen moment shows the unit as it was before its closed report, under a history banner (${bannerText})`);
    check((await page.textContent('#live-state')).includes('Historik') && await page.$eval('#live-banner', (b) => b.hidden),
      'the badge says Historik, not Live, and no "not live" alarm shows');
    check((await page.getAttribute('#export-csv', 'href')).includes('as_of='), 'the CSV export asks for the same moment');
    check(await page.$$eval(`${details(UNIT_A)} .c-whatif button`, (b) => b.length) === 0,
      'no what-if button on a past picture (marks are the present\'s planning)');
    const historyLayout = await page.evaluate(layoutProblems);
    check(historyLayout.problems.length === 0, 'the history banner and control fit 1920×1080: ' + historyLayout.problems.join(' | '));
    await page.screenshot({ path: path.join(SHOTS, 'board-history.png') });
    await page.click('#asof-prev');  // 15 min earlier: before the archive's first frame
    await page.waitForFunction(() => document.querySelector('#asof-error').textContent.length > 0, null, { timeout: 10000 });
    check(await page.textContent('#history-banner-text') === bannerText &&
      await page.$eval(row(UNIT_A), (tr) => tr.dataset.state) === 'normal',
      'a moment the broker cannot rebuild is refused with its message and the page stays at the chosen moment');
    const streamsBefore = streams.length;
    await page.focus('#asof-live');
    await page.keyboard.press('Enter');
    await page.waitForSelector('#history-banner', { state: 'hidden', timeout: 5000 });
    await page.waitForSelector(`${row(UNIT_A)}[data-state="closed"]`, { timeout: 10000 });
    await page.waitForFunction(() => document.querySelector('#live-state').classList.contains('is-live'), null, { timeout: 10000 });
    check(streams.length > streamsBefore && await page.evaluate(() => window.__noReload === true),
      '"Tillbaka till live" shows the unit closed again and reconnects the live stream, without a reload');

    // Provider view with the timeline from the archive.
    await page.click(`${row(UNIT_A)} .c-provider a`);
    await page.waitForSelector('#timeline li[data-frame]', { timeout: 10000 });
    const timeline = await page.$$eval('#timeline li .what', (items) => items.map((i) => i.textContent));
    check(timeline.length >= 3 && timeline[0].includes(UNIT_A) && timeline[0].includes('Stängd'),
      'the provider view shows its reports newest first');
    await page.click('a[data-tab="units"]');

    // The city's tabs: readiness check, directives (sent from the page), takeover planning.
    await page.click('a[data-tab="readiness"]');
    await page.waitForFunction(() => !document.querySelector('#tab-readiness').hidden &&
      document.querySelector('#readiness-facts').textContent.length > 0 &&
      document.querySelector('#readiness-history-body tr') !== null, null, { timeout: 10000 });
    check(await page.textContent('#readiness-title') !== '', 'the readiness tab renders');
    run(BROKER, ['readiness', 'run', '--config', config, '--deadline', '10m']);
    await page.waitForFunction(() => document.querySelectorAll('#readiness-body tr[data-outcome="answered"]').length === 2,
      null, { timeout: 15000 });
    check((await page.textContent('#readiness-progress-text')).includes('2 av 2'),
      "a check issued by the CLI shows both agents' answers live");
    await page.screenshot({ path: path.join(SHOTS, 'board-readiness.png'), fullPage: true });
    await page.click('a[data-tab="directives"]');
    await page.waitForSelector('#directive-form', { state: 'visible', timeout: 10000 });
    await page.waitForFunction(() => document.querySelectorAll('#d-recipients option').length === 2, null, { timeout: 10000 });
    const directiveText = '<b>Övning</b>: rapportera läget';
    await page.fill('#d-text', directiveText);
    await page.selectOption('#d-mode', 'exercise');
    await page.click('#d-review');
    await page.waitForSelector('#d-confirm', { state: 'visible', timeout: 5000 });
    await page.click('#d-send');
    const sent = '#directives-body tr[data-directive="D-000001"]';
    await page.waitForSelector(sent, { timeout: 10000 });
    check(await page.$eval(`${sent} .c-text`, (td) => td.textContent) === directiveText &&
      await page.$eval(`${sent} .c-text`, (td) => td.children.length) === 0, 'an operator sends a directive from the page; its text renders as text');
    await page.waitForFunction((sel) => document.querySelector(sel + ' td:nth-child(5)').textContent.includes('2 av 2'),
      sent, { timeout: 15000 });
    check(true, 'the directive shows as delivered to both agents, live');
    await page.screenshot({ path: path.join(SHOTS, 'board-directives.png'), fullPage: true });
    await page.click('a[data-tab="planning"]');
    await page.waitForSelector(`#plan-failing tr[data-code="${UNIT_A}"]`, { timeout: 10000 });
    await page.waitForSelector('#contingency-body tr[data-scope="provider"]', { timeout: 15000 });
    check(await page.$eval(`#plan-failing tr[data-code="${UNIT_A}"]`, (tr, d) => tr.textContent.includes(d), closedUntil),
      'the planning tab lists the unit closed for a week as failing, with its last closed day');
    check(await page.$$eval('#plan-closed tbody tr', (rows) => rows.length === 1 && !rows[0].dataset.code),
      'no closed unit is left out of the plan (the list says so)');
    await page.check('#p-reduced');
    await page.waitForFunction(() => document.querySelector('#plan-facts') !== null);
    check(true, 'the planning tab ranks the contingency scenarios and takes the new switches');
    await page.screenshot({ path: path.join(SHOTS, 'board-planning.png'), fullPage: true });
    await page.click('a[data-tab="units"]');

    // The free seats: per school form and year the units that have them (a remote unit's seats
    // are not available), filtered, and the same as CSV.
    await page.click('a[data-tab="capacity"]');
    await page.waitForSelector(`#seats-units tr[data-code="${UNIT_B}"][data-form="forskola"]`, { timeout: 10000 });
    const seatRows = await page.$$eval('#seats-units tbody tr', (rows) => rows.map((r) => r.dataset.code + '/' + r.dataset.form));
    check(seatRows.includes(`${UNIT_B}/forskoleklass`) && !seatRows.some((r) => r.startsWith(UNIT_C)),
      'the free-seats tab lists the units with seats and leaves out the unit teaching remotely');
    check(await page.$eval('#seats-totals tbody', (b) => b.textContent.includes('Hässelby-Vällingby')),
      'the totals are per district and school form');
    await page.selectOption('#s-form', 'forskola');
    await page.waitForFunction(() => {
      const rows = [...document.querySelectorAll('#seats-units tbody tr')];
      return rows.length === 1 && rows[0].dataset.form === 'forskola';
    }, null, { timeout: 5000 });
    const seatsCsv = await page.evaluate(async () => (await fetch(document.querySelector('#seats-csv').href)).text());
    check(seatsCsv.startsWith('district,unit_code,') && seatsCsv.includes(`,${UNIT_B},`) && !seatsCsv.includes('forskoleklass'),
      'the filtered free seats are the same as CSV');
    await page.selectOption('#s-form', '');
    await page.waitForFunction(() => document.querySelectorAll('#seats-units tbody tr').length === 2, null, { timeout: 5000 });

    // Every tab at 1920×1080, in normal and in large text: no table scrolls sideways, no word is
    // broken in the middle. First the check itself must be able to fail.
    await page.click('a[data-tab="units"]');
    await page.waitForSelector('#tab-units', { state: 'visible', timeout: 5000 });
    const selfTest = await page.evaluate((code) => {
      const wrap = document.createElement('div');
      wrap.className = 'table-wrap';
      wrap.style.width = '9rem';
      const table = document.createElement('table');
      const tr = table.insertRow();
      const broken = tr.insertCell();
      broken.textContent = 'Personalbristsituationen';
      broken.style.overflowWrap = 'anywhere';
      broken.style.width = '4rem';
      tr.insertCell().textContent = 'Vattenläcka' + code;
      wrap.append(table);
      document.querySelector('#tab-units').prepend(wrap);
      return true;
    }, UNIT_A);
    const found = await page.evaluate(layoutProblems);
    await page.evaluate(() => document.querySelector('#tab-units > .table-wrap').remove());
    check(selfTest && found.problems.some((p) => p.includes('scrolls sideways')) && found.problems.some((p) => p.includes('broken')),
      'the layout check finds a table that scrolls sideways and a broken word: ' + found.problems.join(' | '));
    const ready = {
      units: '#units-body tr', providers: '#providers-body tr', capacity: '#seats-units tbody tr',
      exercise: '#exercise-body tr', readiness: '#readiness-body tr', directives: '#directives-body tr',
      planning: '#contingency-body tr',
    };
    for (const large of [false, true]) {
      const size = large ? 'large' : 'normal';
      if (await page.evaluate(() => document.documentElement.classList.contains('large')) !== large) await page.click('#toggle-large');
      for (const tab of TABS) {
        await page.click(`a[data-tab="${tab}"]`);
        await page.waitForFunction(([t, sel]) => !document.querySelector('#tab-' + t).hidden && document.querySelector(sel) !== null,
          [tab, ready[tab]], { timeout: 15000 });
        if (tab === 'units') await page.check('#f-details');  // the details rows must fit too
        const r = await page.evaluate(layoutProblems);
        check(r.words > 20 && r.problems.length === 0,
          `${tab} at 1920×1080 in ${size} text: nothing scrolls sideways, no broken word among ${r.words} (${r.problems.join(' | ')})`);
        await page.screenshot({ path: path.join(SHOTS, `board-${tab}-${size}.png`) });
        if (tab === 'units') await page.uncheck('#f-details');
      }
    }
    await page.click('#toggle-large');
    await page.click('a[data-tab="units"]');

    // The wall screen: no controls, large type, and a change shows without a reload.
    const wall = await context.newPage();
    await wall.goto(board + '/?view=wall');
    await wall.waitForSelector(`#wall-units li[data-code="${UNIT_A}"][data-state="closed"]`, { timeout: 15000 });
    check(await wall.evaluate(() => [...document.querySelectorAll('button, select, input, .tabs')].every((n) => n.offsetParent === null)),
      'the wall screen shows no controls');
    check(await wall.evaluate(() => parseFloat(getComputedStyle(document.documentElement).fontSize) >= 20),
      'the wall screen is in large type');
    check(await wall.$eval('#wall-silent-title', (h) => h.textContent.includes('0')), 'the wall screen counts silent providers');
    await wall.evaluate(() => { window.__noReload = true; });
    report(agents[1], UNIT_C, '--operational', 'closed', '--reason', 'Strömavbrott');
    const wallReported = Date.now();
    await wall.waitForSelector(`#wall-units li[data-code="${UNIT_C}"][data-state="closed"]`, { timeout: 5000 });
    check(await wall.evaluate(() => window.__noReload === true),
      `the wall screen showed the closure live in ${Date.now() - wallReported} ms, without a reload`);
    check(await wall.$eval('#wall-tiles [data-state="closed"] .n', (n) => n.textContent) === '2', 'the wall counts follow');
    const wallLayout = await wall.evaluate(layoutProblems);
    check(wallLayout.problems.length === 0, 'the wall screen fits 1920×1080: ' + wallLayout.problems.join(' | '));
    await wall.screenshot({ path: path.join(SHOTS, 'board-wall.png') });
    await wall.close();

    // Changing one's own password on the board: the old one is required, the user's other
    // sessions end, this one stays.
    const elsewhere = await fetch(board + '/api/login', { method: 'POST', headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ name: USER, password: PASSWORD }) });
    const elsewhereCookie = (elsewhere.headers.get('set-cookie') || '').split(';')[0];
    check(elsewhere.status === 200 && elsewhereCookie.startsWith('samband_session='), 'the user is logged in elsewhere too');
    await page.click('#account-open');
    await page.waitForSelector('#account-view', { state: 'visible', timeout: 5000 });
    await page.fill('#account-old', 'inte mitt lösenord');
    await page.fill('#account-new', NEW_PASSWORD);
    await page.fill('#account-repeat', NEW_PASSWORD);
    await page.click('#account-submit');
    await page.waitForSelector('#account-result.error', { timeout: 15000 });
    check((await page.textContent('#account-result')).includes('stämmer inte'), 'a wrong current password is refused on the page');
    await page.fill('#account-old', PASSWORD);
    await page.click('#account-submit');
    await page.waitForSelector('#account-result.ok-text', { timeout: 15000 });
    await page.screenshot({ path: path.join(SHOTS, 'board-account.png') });
    const elsewhereNow = await fetch(board + '/api/session', { headers: { Cookie: elsewhereCookie } });
    check(elsewhereNow.status === 401, "the password change ended the user's other session");
    check(await page.evaluate(async () => (await fetch('/api/session')).status) === 200, 'the session that changed it stays');
    await page.click('#account-cancel');
    await page.waitForSelector('#board-view', { state: 'visible', timeout: 5000 });

    // Broker restart: the page says it is not live, then reconnects by itself.
    await stop(broker);
    await page.waitForSelector('#live-banner', { state: 'visible', timeout: 45000 });
    check(true, 'the "not live" banner shows while the broker is down');
    await page.screenshot({ path: path.join(SHOTS, 'board-not-live.png') });
    broker = start('broker', BROKER, ['serve', '--config', config]);
    await page.waitForSelector('#live-banner', { state: 'hidden', timeout: 30000 });
    check(await page.evaluate(() => window.__noReload === true), 'the page reconnected by itself after the restart');
    report(agents[0], UNIT_A, '--operational', 'normal', '--note', 'öppet igen');
    await page.waitForSelector(`${row(UNIT_A)}[data-state="normal"]`, { timeout: 20000 });
    check(true, 'reports arrive live again after the restart');

    check(dialogs.length === 0, 'no script from provider text ran (no dialogs)');
    check(await page.evaluate(() => window.__pwned === undefined), 'no script from provider text ran');
    check(external.length === 0, 'the page loaded nothing from outside the broker: ' + external.join(' '));
    check(consoleErrors.filter((e) => /Content Security Policy/i.test(e)).length === 0,
      'no Content-Security-Policy violations: ' + consoleErrors.join(' | '));

    // Logout ends the session for the page and for the API.
    await page.click('#logout');
    await page.waitForSelector('#login-view', { state: 'visible', timeout: 10000 });
    const status = await page.evaluate(async () => (await fetch('/api/picture')).status);
    check(status === 401, 'after logout the API answers 401');
  } finally {
    await context.close().catch(() => {});
  }
}

await h.runTest(main);
