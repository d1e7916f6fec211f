// What every real-browser test (board, form, rollup .spec.mjs) needs around the browser: free
// loopback ports, the programs it runs and stops, waiting for a condition, and checks that log
// what they proved. One Harness per test; its `dir` is the test's temporary directory (set it
// before start()), and `started` lists every child process so the test can stop them at the end.
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

export class Harness {
  constructor(tag) {
    this.tag = tag;
    this.dir = '';
    this.started = [];
  }

  log(...args) { console.log(`[${this.tag}]`, ...args); }

  check(condition, message) {
    if (!condition) throw new Error('check failed: ' + message);
    this.log('ok:', message);
  }

  async freePort() {
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

  // Runs `bin` to its end; throws with its output when it fails.
  run(bin, args, input) {
    const r = spawnSync(bin, args, { input: input ?? '', encoding: 'utf8', timeout: 60000 });
    if (r.status !== 0) {
      throw new Error(`${path.basename(bin)} ${args.join(' ')} failed (exit ${r.status}): ${r.stderr}${r.stdout}`);
    }
    return r.stdout;
  }

  // Starts `bin` in the background, its output in DIR/NAME.log.
  start(name, bin, args) {
    const logPath = path.join(this.dir, name + '.log');
    const out = fs.openSync(logPath, 'a');
    const child = spawn(bin, args, { stdio: ['ignore', out, out] });
    fs.closeSync(out);
    const entry = { name, child, logPath, exited: false };
    child.on('exit', () => { entry.exited = true; });
    this.started.push(entry);
    return entry;
  }

  async stop(entry, signal = 'SIGTERM') {
    if (entry.exited) return;
    entry.child.kill(signal);
    for (let i = 0; i < 100 && !entry.exited; ++i) await sleep(100);
    if (!entry.exited) {
      entry.child.kill('SIGKILL');
      for (let i = 0; i < 50 && !entry.exited; ++i) await sleep(100);
    }
  }

  async waitFor(what, fn, timeoutMs) {
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

  async httpStatus(url) {
    try {
      return (await fetch(url)).status;
    } catch (e) {
      return 0;
    }
  }

  // Sets `key = value` in TOML file `toml`, under [table] when the key is not there yet.
  setKey(toml, table, key, value) {
    let text = fs.readFileSync(toml, 'utf8');
    const line = new RegExp(`^${key} = .*$`, 'm');
    if (line.test(text)) text = text.replace(line, `${key} = ${value}`);
    else text = text.replace(`[${table}]\n`, `[${table}]\n${key} = ${value}\n`);
    fs.writeFileSync(toml, text);
  }

  // Runs the test's `main`, then stops every started process (newest first), shows the end of
  // their logs when it failed, removes `dir` when it passed (SAMBAND_KEEP=1 keeps it), and exits
  // 0 or 1.
  async runTest(main) {
    let failed = false;
    try {
      await main();
      this.log('PASSED');
    } catch (e) {
      failed = true;
      console.error(`[${this.tag}] FAILED:`, e && e.stack ? e.stack : e);
      for (const p of this.started) {
        try {
          const text = fs.readFileSync(p.logPath, 'utf8').split('\n').slice(-15).join('\n');
          console.error(`--- last lines of ${p.name}.log ---\n${text}`);
        } catch (err) { /* no log */ }
      }
    } finally {
      for (const p of this.started.slice().reverse()) await this.stop(p);
      if (this.dir && !failed && process.env.SAMBAND_KEEP !== '1') fs.rmSync(this.dir, { recursive: true, force: true });
      else if (this.dir) console.error(`[${this.tag}] kept`, this.dir);
    }
    process.exit(failed ? 1 : 0);
  }

  // The methods as plain functions, for a test written with free functions.
  functions() {
    const names = ['log', 'check', 'freePort', 'run', 'start', 'stop', 'waitFor', 'httpStatus', 'setKey'];
    return Object.fromEntries(names.map((n) => [n, this[n].bind(this)]));
  }
}
