// Takes the screenshots for docs/board.md from a running board (e.g. `make demo`), with Debian's
// chromium headless, at 1920×1080. Not a test; run by hand:
//   node tests/browser/screenshot.mjs http://127.0.0.1:8080 demo PASSWORD docs/img/board.png [TAB]
// TAB (units, providers, capacity, exercise, readiness, directives, planning) opens that tab of
// the board first; "wall" takes the wall screen (/?view=wall), "account" the change-password
// panel. SAMBAND_LARGE=1 switches to large text first ("Stor text").
// Reads the password from $SAMBAND_PASSWORD instead when the third argument is "-".
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { chromium } from 'playwright-core';

const [url, user, passwordArg, out, tab] = process.argv.slice(2);
if (!url || !user || !passwordArg || !out) {
  console.error('usage: node screenshot.mjs BOARD_URL USER PASSWORD|- OUT.png');
  process.exit(2);
}
const password = passwordArg === '-' ? process.env.SAMBAND_PASSWORD : passwordArg;
const profile = fs.mkdtempSync(path.join(os.tmpdir(), 'samband-shot-'));
const context = await chromium.launchPersistentContext(profile, {
  executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
  headless: true,
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
    '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  viewport: { width: 1920, height: 1080 },
  locale: 'sv-SE',
  timezoneId: 'Europe/Stockholm',
});
try {
  const page = context.pages()[0] || await context.newPage();
  await page.goto(url + (tab === 'wall' ? '/?view=wall' : '/'));
  await page.waitForSelector('#login-form', { state: 'visible' });
  await page.fill('#login-name', user);
  await page.fill('#login-password', password);
  await page.click('#login-submit');
  if (tab === 'wall') {
    await page.waitForSelector('#wall-tiles .tile', { timeout: 30000 });
  } else {
    await page.waitForSelector('#units-body tr', { timeout: 30000 });
    if (process.env.SAMBAND_LARGE === '1') await page.click('#toggle-large');
    if (tab === 'account') await page.click('#account-open');
    else if (tab) await page.click(`[data-tab="${tab}"]`);
  }
  await page.waitForTimeout(tab === 'planning' ? 4000 : 1500);
  await page.screenshot({ path: out });
  console.log('saved', out, fs.statSync(out).size, 'bytes');
} finally {
  await context.close();
  fs.rmSync(profile, { recursive: true, force: true });
}
