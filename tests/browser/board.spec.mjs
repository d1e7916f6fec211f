// Real-browser test of the Samband status board (run by CTest as board_browser, via run.sh).
// Debian's chromium, driven headless by playwright-core, against a real `samband-broker serve`
// fed by real `samband-agent run` processes, all on 127.0.0.1 with free ports in a temporary
// directory. Checks: login through the page, the units appear, an agent's `closed` report
// changes its row within 2 s without a reload, provider markup renders as text, exercise
// traffic stays apart, the readiness, directive and planning tabs (an operator sends a directive
// from the page and sees it delivered), the "not live" banner during a broker restart and the
// reconnect, logout.
// Saves screenshots to $SAMBAND_SCREENSHOT_DIR. Stops every process it started, also on failure.
//
// Environment: SAMBAND_BROKER_BIN, SAMBAND_AGENT_BIN (required), SAMBAND_SCREENSHOT_DIR,
// CHROMIUM (default /usr/bin/chromium), SAMBAND_KEEP=1 keeps the temporary directory.
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { chromium } from 'playwright-core';

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

const started = [];  // every child process, stopped in finally
let dir = '';
let failed = false;

function log(...args) { console.log('[board_browser]', ...args); }
function check(condition, message) {
  if (!condition) throw new Error('check failed: ' + message);
  log('ok:', message);
}

async function freePort() {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.unref();
    s.on('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

function run(bin, args, input) {
  const r = spawnSync(bin, args, { input: input ?? '', encoding: 'utf8', timeout: 60000 });
  if (r.status !== 0) {
    throw new Error(`${path.basename(bin)} ${args.join(' ')} failed (exit ${r.status}): ${r.stderr}${r.stdout}`);
  }
  return r.stdout;
}

function start(name, bin, args) {
  const logPath = path.join(dir, name + '.log');
  const out = fs.openSync(logPath, 'a');
  const child = spawn(bin, args, { stdio: ['ignore', out, out] });
  fs.closeSync(out);
  const entry = { name, child, logPath, exited: false };
  child.on('exit', () => { entry.exited = true; });
  started.push(entry);
  return entry;
}

async function stop(entry, signal = 'SIGTERM') {
  if (entry.exited) return;
  entry.child.kill(signal);
  for (let i = 0; i < 100 && !entry.exited; ++i) await sleep(100);
  if (!entry.exited) {
    entry.child.kill('SIGKILL');
    for (let i = 0; i < 50 && !entry.exited; ++i) await sleep(100);
  }
}

async function waitFor(what, fn, timeoutMs) {
  const end = Date.now() + timeoutMs;
  let last;
  while (Date.now() < end) {
    try {
      last = await fn();
      if (last) return last;
    } catch (e) { last = e; }
    await sleep(100);
  }
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what} (last: ${last})`);
}

async function httpStatus(url) {
  try {
    const r = await fetch(url);
    return r.status;
  } catch (e) {
    return 0;
  }
}

async function main() {
  if (!BROKER || !AGENT) throw new Error('set SAMBAND_BROKER_BIN and SAMBAND_AGENT_BIN (CTest does)');
  for (const bin of [BROKER, AGENT]) {
    if (!fs.existsSync(bin)) throw new Error(`${bin} does not exist; build it first (make build)`);
  }
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'samband-board-browser-'));
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

  let broker = start('broker', BROKER, ['serve', '--config', config]);
  await waitFor('the board to answer /healthz', async () => (await httpStatus(board + '/healthz')) === 200, 30000);
  for (const a of agents) start('agent-' + a.provider, AGENT, ['run', '--config', a.config]);

  report(agents[0], UNIT_A, '--operational', 'normal', '--pupils-enrolled', '240', '--pupils-present', '231',
    '--staff-total', '31', '--staff-available', '29', '--electricity', 'grid', '--note', '<b>x</b>');
  report(agents[0], UNIT_B, '--operational', 'reduced', '--reason', 'Personalbrist',
    '--electricity', 'backup', '--backup-hours', '18', '--note', '<img src=x onerror="window.__pwned=1">');
  report(agents[1], UNIT_C, '--operational', 'remote', '--note', '<script>window.__pwned=2</script>');
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
    await page.waitForSelector(`${row(UNIT_A)}[data-state="normal"]`, { timeout: 30000 });
    await page.waitForSelector(`${row(UNIT_B)}[data-state="reduced"]`, { timeout: 30000 });
    await page.waitForSelector(`${row(UNIT_C)}[data-state="remote"]`, { timeout: 30000 });
    check(true, 'the units reported by the real agents are on the board');
    await page.waitForFunction(() => document.querySelector('#live-banner').hidden, null, { timeout: 10000 });

    const noteA = await page.$eval(`${row(UNIT_A)} .c-note`, (td) => ({ text: td.textContent, elements: td.children.length }));
    check(noteA.text === '<b>x</b>' && noteA.elements === 0, 'a note with markup renders as text');
    const noteB = await page.$eval(`${row(UNIT_B)} .c-note`, (td) => td.textContent);
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
    // Closed for a week: beyond the planning horizon, so the planning tab plans its pupils.
    report(agents[0], UNIT_A, '--operational', 'closed', '--reason', 'Vattenläcka', '--note', '<b>x</b>',
      '--closed-until', closedUntil);
    const reported = Date.now();
    await page.waitForSelector(`${row(UNIT_A)}[data-state="closed"]`, { timeout: 2000 });
    const ms = Date.now() - reported;
    check(await page.evaluate(() => window.__noReload === true), `the row changed to closed in ${ms} ms without a reload`);
    check(await page.$eval(`${row(UNIT_A)} .c-state`, (td) => td.textContent.includes('Stängd')), 'the row says Stängd');
    check(await page.$eval(`${row(UNIT_A)} .c-note`, (td) => td.textContent === '<b>x</b>' && td.children.length === 0),
      'the new note renders as text');
    await page.screenshot({ path: path.join(SHOTS, 'board.png'), fullPage: true });
    log('screenshot saved to', path.join(SHOTS, 'board.png'));

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

try {
  await main();
  log('PASSED');
} catch (e) {
  failed = true;
  console.error('[board_browser] FAILED:', e && e.stack ? e.stack : e);
  for (const p of started) {
    try {
      const text = fs.readFileSync(p.logPath, 'utf8').split('\n').slice(-15).join('\n');
      console.error(`--- last lines of ${p.name}.log ---\n${text}`);
    } catch (err) { /* no log */ }
  }
} finally {
  for (const p of started.slice().reverse()) await stop(p);
  if (dir && !failed && process.env.SAMBAND_KEEP !== '1') fs.rmSync(dir, { recursive: true, force: true });
  else if (dir) console.error('[board_browser] kept', dir);
}
process.exit(failed ? 1 : 0);
