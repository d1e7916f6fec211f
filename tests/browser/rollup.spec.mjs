// Real-browser test of the upstream board's /rollup page (run by CTest as rollup_browser, via
// run.sh). Debian's chromium, driven headless by playwright-core, against a real national
// `samband-broker serve` (init --tier national) to which a real city broker relays the picture of
// a real `samband-agent run`, all on 127.0.0.1 with free ports in a temporary directory. Checks:
// before login the page says to log in first; after login the city's row (connected, units by
// state), the drill-down to its units, an agent's `closed` report reaching the page within a few
// seconds without a reload and without polling (the page follows /api/events), the live badge,
// Swedish by default and English on request (kept across a reload), and no request to another
// origin. Saves screenshots to $SAMBAND_SCREENSHOT_DIR.
//
// Environment: SAMBAND_BROKER_BIN, SAMBAND_AGENT_BIN (required), SAMBAND_SCREENSHOT_DIR,
// CHROMIUM (default /usr/bin/chromium), SAMBAND_KEEP=1 keeps the temporary directory.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { chromium } from 'playwright-core';

import { Harness } from './harness.mjs';

const BROKER = process.env.SAMBAND_BROKER_BIN;
const AGENT = process.env.SAMBAND_AGENT_BIN;
const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';
const SHOTS = process.env.SAMBAND_SCREENSHOT_DIR || path.join(os.tmpdir(), 'samband-rollup-screenshots');
const USER = 'lansstyrelsen';
const PASSWORD = 'ett långt lösenord för test';
const UNIT = '12345678';
const CITY = 'Uppsala';

let dir = '';

const h = new Harness('rollup_browser');
const { log, check, freePort, run, start, stop, waitFor, httpStatus, setKey } = h.functions();

async function main() {
  if (!BROKER || !AGENT) throw new Error('set SAMBAND_BROKER_BIN and SAMBAND_AGENT_BIN (CTest does)');
  for (const bin of [BROKER, AGENT]) {
    if (!fs.existsSync(bin)) throw new Error(`${bin} does not exist; build it first (make build)`);
  }
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'samband-rollup-browser-'));
  h.dir = dir;
  fs.mkdirSync(SHOTS, { recursive: true });
  const ports = new Set();
  const port = async () => { let p; do { p = await freePort(); } while (ports.has(p)); ports.add(p); return p; };
  const nationalPort = await port();
  const nationalBoardPort = await port();
  const cityPort = await port();
  const cityBoardPort = await port();
  const nationalDir = path.join(dir, 'national');
  const nationalConfig = path.join(nationalDir, 'broker.toml');
  const cityDir = path.join(dir, 'city');
  const cityConfig = path.join(cityDir, 'broker.toml');
  const board = `http://127.0.0.1:${nationalBoardPort}`;
  log('working in', dir, 'national board at', board);

  // The national broker, and a city whose root certifies its broker, enrolled there.
  run(BROKER, ['init', '--tier', 'national', '--dir', nationalDir, '--listen', `tcp://127.0.0.1:${nationalPort}`,
    '--board-listen', `127.0.0.1:${nationalBoardPort}`]);
  run(BROKER, ['user', 'add', '--config', nationalConfig, '--name', USER, '--role', 'viewer'], PASSWORD + '\n');
  run(BROKER, ['init', '--dir', cityDir, '--listen', `tcp://127.0.0.1:${cityPort}`,
    '--board-listen', `127.0.0.1:${cityBoardPort}`]);
  setKey(cityConfig, 'readiness', 'enabled', 'false');
  const rootDir = path.join(dir, 'root');
  run(BROKER, ['city-key', 'init', '--out', rootDir]);
  run(BROKER, ['city-key', 'certify', '--root', path.join(rootDir, 'root.identity'), '--key',
    path.join(cityDir, 'city.pub'), '--label', 'primary', '--config', cityConfig, '--out', path.join(cityDir, 'broker.cert')]);
  const cityKeys = path.join(cityDir, 'city-keys.pub');
  fs.writeFileSync(cityKeys, fs.readFileSync(path.join(rootDir, 'root.pub'), 'utf8') +
    fs.readFileSync(path.join(cityDir, 'broker.cert'), 'utf8'));
  const request = path.join(cityDir, 'upstream-request.json');
  run(BROKER, ['upstream-request', '--config', cityConfig, '--city', CITY, '--out', request]);
  const section = path.join(cityDir, 'upstream.toml');
  run(BROKER, ['enroll-city', '--config', nationalConfig, '--request', request, '--out', section]);
  fs.appendFileSync(cityConfig, '\n' + fs.readFileSync(section, 'utf8'));

  const agentDir = path.join(dir, 'agent');
  run(AGENT, ['init', '--dir', agentDir, '--provider', '556677-8899', '--name', 'Skolbolaget Ek AB',
    '--broker', `tcp://127.0.0.1:${cityPort}`, '--city-keys', cityKeys, '--unit', UNIT]);
  run(BROKER, ['enroll', '--config', cityConfig, '--request', path.join(agentDir, 'enroll-request.json')]);
  const agentConfig = path.join(agentDir, 'agent.toml');
  setKey(agentConfig, 'link', 'reconnect_max_ms', '1000');
  run(AGENT, ['report', '--config', agentConfig, '--unit', UNIT, '--operational', 'reduced']);

  start('national', BROKER, ['serve', '--config', nationalConfig]);
  await waitFor('the national board to answer /healthz', async () => (await httpStatus(board + '/healthz')) === 200, 30000);
  start('city', BROKER, ['serve', '--config', cityConfig]);
  start('agent', AGENT, ['run', '--config', agentConfig]);

  const userDataDir = fs.mkdtempSync(path.join(dir, 'chromium-profile-'));
  const context = await chromium.launchPersistentContext(userDataDir, {
    executablePath: CHROMIUM,
    headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    viewport: { width: 1280, height: 800 },
    locale: 'sv-SE',
    timezoneId: 'Europe/Stockholm',
  });
  try {
    const page = context.pages()[0] || await context.newPage();
    const requests = [];
    page.on('request', (r) => requests.push(r.url()));
    const consoleErrors = [];
    page.on('console', (m) => { if (m.type() === 'error') consoleErrors.push(m.text()); });

    await page.goto(board + '/rollup');
    await page.waitForSelector('#rollup-login', { state: 'visible', timeout: 15000 });
    check((await page.textContent('#rollup-message')).includes('Logga in'), 'before login the page says to log in first');
    check(await page.evaluate(() => document.documentElement.lang) === 'sv', 'the page is Swedish by default');

    // Log in as a user would: the page's link leads to the login form on /, and a login on an
    // upstream broker goes on to /rollup (the session names the tier).
    await page.click('#rollup-login a');
    await page.waitForSelector('#login-form', { state: 'visible', timeout: 15000 });
    await page.fill('#login-name', USER);
    await page.fill('#login-password', PASSWORD);
    await page.click('#login-submit');
    await page.waitForURL(board + '/rollup', { timeout: 15000 });
    check(true, 'the login form on / leads the viewer back to /rollup');
    const row = `#city-rows tr[data-city="${CITY}"]`;
    await page.waitForSelector(row, { timeout: 30000 });
    await page.waitForFunction((sel) => document.querySelector(sel + ' .connection').textContent === 'ansluten', row, { timeout: 30000 });
    await page.waitForFunction((sel) => document.querySelector(sel + ' .by-state').textContent.includes('Reducerad'), row, { timeout: 30000 });
    check(true, 'the city is listed, connected, with its unit reduced (in Swedish)');
    await page.waitForFunction(() => document.querySelector('#live-state').textContent === 'Live', null, { timeout: 15000 });
    check(requests.some((u) => u === board + '/api/events'), 'the page follows the live stream /api/events');
    await page.screenshot({ path: path.join(SHOTS, 'rollup-cities.png') });

    // Drill down to the city's units.
    await page.click(`${row} a`);
    const unitRow = `#unit-rows tr[data-unit="${UNIT}"]`;
    await page.waitForSelector(unitRow, { state: 'visible', timeout: 10000 });
    check((await page.textContent(`${unitRow} .state`)) === 'Reducerad', 'the drill-down shows the unit reduced');
    check(await page.isHidden('#cities'), 'the city list gives way to the city');

    // A new report reaches the page live: no reload, and no timer polling the API.
    const rollupReads = () => requests.filter((u) => u.startsWith(board + '/api/rollup')).length;
    const navigations = [];
    page.on('framenavigated', (f) => { if (f === page.mainFrame()) navigations.push(f.url()); });
    const t0 = Date.now();
    run(AGENT, ['report', '--config', agentConfig, '--unit', UNIT, '--operational', 'closed']);
    await page.waitForFunction((sel) => document.querySelector(sel + ' .state').textContent === 'Stängd', unitRow, { timeout: 20000 });
    check(navigations.length === 0, `the closed report shows within ${Date.now() - t0} ms, without a reload`);
    const readsBefore = rollupReads();
    await sleep(6000);  // the old page polled every 5 s
    check(rollupReads() - readsBefore <= 1, `no polling: ${rollupReads() - readsBefore} reads of /api/rollup in 6 s of quiet`);
    await page.screenshot({ path: path.join(SHOTS, 'rollup-city.png') });

    // English on request, kept across a reload.
    await page.click('#toggle-lang');
    await page.waitForFunction(() => document.documentElement.lang === 'en');
    check((await page.textContent(`${unitRow} .state`)) === 'Closed', 'in English the unit is Closed');
    check((await page.textContent('#unit-rows')).length > 0 &&
      (await page.textContent('#city-detail thead')).includes('School unit'), 'the headers are English');
    await page.reload();
    await page.waitForSelector(unitRow, { state: 'visible', timeout: 15000 });
    check(await page.evaluate(() => document.documentElement.lang) === 'en' &&
      (await page.textContent('#back')).includes('All cities'), 'English is kept across a reload');
    await page.click('#back');
    await page.waitForSelector(row, { state: 'visible', timeout: 10000 });
    check((await page.textContent(`${row} .connection`)) === 'connected', 'the city list is English too');
    await page.screenshot({ path: path.join(SHOTS, 'rollup-cities-en.png') });
    await page.click('#toggle-lang');  // leave the browser profile Swedish

    const outside = requests.filter((u) => !u.startsWith(board + '/'));
    check(outside.length === 0, `the page asks no other origin for anything: ${outside.join(' ')}`);
    check(consoleErrors.filter((e) => /Content Security Policy/i.test(e)).length === 0,
      'no Content-Security-Policy violations: ' + consoleErrors.join(' | '));
  } finally {
    await context.close().catch(() => {});
  }
}

await h.runTest(main);
