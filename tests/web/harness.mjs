// harness.mjs - what the browser tests share: a weir daemon (WEIR_BIN, the
// build under test) on a free loopback port, fed by log files the test
// writes in a temp dir; headless Chromium (Debian's /usr/bin/chromium,
// driven by playwright-core from web/node_modules); and polling helpers.

import { createRequire } from 'node:module';
import { spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync, appendFileSync, readFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import net from 'node:net';

const require = createRequire(new URL('../../web/package.json', import.meta.url));
const { chromium } = require('playwright-core');

export const WEIR_BIN = process.env.WEIR_BIN;
export const OUT = process.env.WEB_TEST_OUT || join(tmpdir(), 'weir-web-test');
mkdirSync(OUT, { recursive: true });
if (!WEIR_BIN) throw new Error('set WEIR_BIN to the weir binary under test');

export function freePort() {
	return new Promise((resolve, reject) => {
		const s = net.createServer();
		s.once('error', reject);
		s.listen(0, '127.0.0.1', () => {
			const { port } = s.address();
			s.close(() => resolve(port));
		});
	});
}

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** Poll fn until it returns truthy (returned) or timeout ms pass (throws with what). */
export async function until(fn, what, timeout = 10000, every = 100) {
	const end = Date.now() + timeout;
	let last;
	for (;;) {
		try {
			last = await fn();
			if (last) return last;
		} catch (e) {
			last = e;
		}
		if (Date.now() > end) throw new Error(`timed out after ${timeout} ms waiting for ${what} (last: ${last})`);
		await sleep(every);
	}
}

/**
 * A weir in a fresh temp dir: dir, log (the app log path), port, url,
 * config(extra), start(), stop(), append(bytes).
 */
export async function makeWeir({ http = null, rules = null } = {}) {
	const dir = mkdtempSync(join(tmpdir(), 'weir-web-'));
	const log = join(dir, 'app.log');
	writeFileSync(log, '');
	const port = await freePort();
	const cfg = join(dir, 'weir.yaml');
	const ruleText =
		rules ||
		`rules:
  - name: errors
    where: {level: error}
  - name: requests
    match: 'path='
    value: rt
    unit: s
    top: ip
    top_k: 5
    distinct: user
  - name: slow
    match: 'rt=0\\.9'
  - name: auth.failed
    match: 'login failed'
  - name: zeta
    match: 'never-matches-this'
`;
	writeFileSync(
		cfg,
		`listen: 127.0.0.1:${port}
state_dir: ${dir}/state
windows: [10s, 1m, 5m, 1h]
${http ? 'http: ' + http + '\n' : ''}sources:
  - {name: app, type: file, path: ${log}, format: logfmt}
${ruleText}tuning: {workers: 2, tick_ms: 200}
`
	);
	const w = {
		dir,
		log,
		port,
		url: `http://127.0.0.1:${port}`,
		proc: null,
		errPath: join(dir, 'weir.stderr'),
		append(s) {
			appendFileSync(log, s);
		},
		async start() {
			const errs = [];
			this.proc = spawn(WEIR_BIN, ['serve', '-c', cfg], { stdio: ['ignore', 'pipe', 'pipe'] });
			const onData = (b) => {
				errs.push(b.toString());
				appendFileSync(this.errPath, b);
			};
			this.proc.stdout.on('data', onData);
			this.proc.stderr.on('data', onData);
			await until(async () => {
				if (this.proc.exitCode !== null) throw new Error('weir exited: ' + errs.join(''));
				const r = await fetch(this.url + '/readyz').catch(() => null);
				return r && r.status === 200;
			}, 'weir ready', 15000);
		},
		async stop() {
			if (!this.proc || this.proc.exitCode !== null) return;
			const p = this.proc;
			const done = new Promise((r) => p.once('exit', r));
			p.kill('SIGTERM');
			const kill = setTimeout(() => p.kill('SIGKILL'), 10000); // cleared, so node need not wait it out
			await done;
			clearTimeout(kill);
		},
		stderr() {
			try {
				return readFileSync(this.errPath, 'utf8');
			} catch {
				return '';
			}
		},
		async json(path) {
			const r = await fetch(this.url + path);
			return { status: r.status, body: await r.json().catch(() => null) };
		},
	};
	return w;
}

/** Chromium, and a page that records console errors and page errors. */
export async function browser() {
	return chromium.launch({
		executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
		headless: true,
		args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage'],
	});
}

export async function newPage(b, opts = {}) {
	const ctx = await b.newContext({ viewport: { width: 1280, height: 800 }, ...opts });
	const page = await ctx.newPage();
	page.errors = [];
	page.on('console', (m) => {
		const url = (m.location() && m.location().url) || '';
		if (m.type() === 'error') page.errors.push('console: ' + m.text() + ' ' + url);
	});
	page.on('pageerror', (e) => page.errors.push('pageerror: ' + e.message));
	return page;
}

/** The text of the overview row of rule name, or null. */
export async function rowCells(page, name) {
	return page.evaluate((n) => {
		for (const r of document.querySelectorAll('.vscroll .vrow')) {
			if (!r.hidden && r.dataset.rule === n) return [...r.children].map((c) => c.textContent);
		}
		return null;
	}, name);
}
