#!/usr/bin/env node
// dashboard.mjs - the dashboard under load (issue 17), beside GoAccess's
// real-time HTML report on the same access log.
//
//   node tests/bench/dashboard.mjs        (run.sh runs it; WEIR_BIN as there)
//   BENCH_DASHBOARD_SECONDS=60 node tests/bench/dashboard.mjs   (short mode)
//
// A temp dir in BENCH_DIR (/dev/shm) holds an nginx access log (combined
// format) that a child process appends to all the time: the real lines of
// ../shared/testdata/access_logs/lnav/logfile_shop_access_log.0, replayed in
// a loop with fresh timestamps, BENCH_DASHBOARD_RATE (1,000) lines a second,
// after BENCH_DASHBOARD_PREFILL (60) seconds' worth written before weir
// starts. weir serves 1,000 rules over it (made here from that log: plain
// match: rules on paths, status codes, user agents and client addresses;
// top: path / ip; value: bytes; where: on fields), default windows and
// tick. Then, one after the other:
//
// 1. first render: BENCH_DASHBOARD_LOADS (5) cold loads of weir's page (a
//    fresh browser context each: no cache) and of GoAccess's report.html;
//    the time from navigation start until the page shows everything
//    (weir: "1000 of 1000 rules", the first snapshot applied, a number in
//    every visible row's total; GoAccess: the total requests shown and a
//    row in every panel its data fills). Median.
// 2. stream: BENCH_DASHBOARD_TICKS (30) ticks of /api/v1/stream read here
//    (bytes and rules per tick event) against the snapshot a full resend
//    would send; GoAccess's page for as long: its WebSocket frames (each a
//    full resend), frames a second, main-thread busy time per frame.
// 3. soak: weir's page open for BENCH_DASHBOARD_SECONDS (600): per tick the
//    page's own 'weir-tick' measure (web/src/main.js: the main-thread time
//    of applying a tick and drawing it), long tasks, and the JS heap after
//    a forced GC every minute (every SECONDS/6 when shorter).
//
// Bars (exit 1 when one fails): median first render <= 1000 ms
// (BENCH_DASHBOARD_RENDER_BAR); p95 main-thread time per tick <= 16 ms
// (BENCH_DASHBOARD_TICK_BAR); memory flat: the median heap sample of the
// last third of the samples <= 1.10 x the median of the first third
// (BENCH_DASHBOARD_MEM_BAR; a median, so that one sample taken while a
// 650 KB snapshot is being parsed does not decide). Exit 2 on a setup problem (no weir, chromium,
// goaccess, playwright-core or test data). See tests/bench/README.md.

import { createRequire } from 'node:module';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import net from 'node:net';
import http from 'node:http';
import zlib from 'node:zlib';
import os from 'node:os';
import { fileURLToPath } from 'node:url';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const ROOT = path.resolve(HERE, '../..');
const SHOP = path.resolve(ROOT, '../shared/testdata/access_logs/lnav/logfile_shop_access_log.0');
const CLF = /^(\S+ \S+ \S+ \[)[^\]]+(\] "([A-Z]+) (\S+) [^"]*" (\d{3}) (\d+|-) "([^"]*)" "([^"]*)".*)$/;
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/** "07/Dec/2026:15:45:01 +0000" for Unix ms t (UTC). */
function clfTime(t) {
	const d = new Date(t);
	const p = (n) => String(n).padStart(2, '0');
	return `${p(d.getUTCDate())}/${MONTHS[d.getUTCMonth()]}/${d.getUTCFullYear()}:${p(d.getUTCHours())}:${p(d.getUTCMinutes())}:${p(d.getUTCSeconds())} +0000`;
}

/** The source lines as [before the time, after it] (lines not in combined format are left out). */
function sourceLines(file) {
	const out = [];
	for (const l of fs.readFileSync(file, 'utf8').split('\n')) {
		const m = CLF.exec(l.replace(/\r$/, ''));
		if (m) out.push([m[1], m[2]]);
	}
	return out;
}

// --- the writer (a child process, so that the benchmark's own waits do not
// hold the log back): RATE lines a second, in steps of 50 ms, until its
// stdin closes (the benchmark exited) or SIGTERM.
if (process.argv[2] === '--writer') {
	const [log, rate, src, from] = process.argv.slice(3);
	const lines = sourceLines(src);
	const fd = fs.openSync(log, 'a');
	const t0 = Date.now();
	let sent = 0;
	let i = Number(from);
	setInterval(() => {
		const due = Math.floor(((Date.now() - t0) * Number(rate)) / 1000);
		if (due - sent > 2 * rate) sent = due - Number(rate); // fell behind (a stall): do not burst
		const stamp = clfTime(Date.now());
		let buf = '';
		for (; sent < due; sent++, i++) {
			const l = lines[i % lines.length];
			buf += l[0] + stamp + l[1] + '\n';
		}
		if (buf) fs.writeSync(fd, buf);
	}, 50);
	process.stdin.on('end', () => process.exit(0));
	process.stdin.on('error', () => process.exit(0));
	process.stdin.resume();
	process.on('SIGTERM', () => process.exit(0));
}

// --- knobs
function env(name, def, { min = 0 } = {}) {
	const v = process.env[name];
	if (v === undefined || v === '') return def;
	const n = Number(v);
	if (!Number.isFinite(n) || n < min) throw setupError(`${name}=${v}: want a number >= ${min}`);
	return n;
}
function setupError(msg) {
	const e = new Error(msg);
	e.setup = true;
	return e;
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const median = (a) => pct(a, 50);
function pct(a, p) {
	if (!a.length) return NaN;
	const s = [...a].sort((x, y) => x - y);
	return s[Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1))];
}
const fmt = (n, d = 0) => (Number.isFinite(n) ? n.toLocaleString('en-US', { minimumFractionDigits: d, maximumFractionDigits: d }) : 'n/a');
const kib = (b) => (Number.isFinite(b) ? (b / 1024).toFixed(b < 10240 ? 2 : 1) + ' KiB' : 'n/a');
const mib = (b) => (Number.isFinite(b) ? (b / 1048576).toFixed(2) + ' MiB' : 'n/a');

function freePort() {
	return new Promise((resolve, reject) => {
		const s = net.createServer();
		s.once('error', reject);
		s.listen(0, '127.0.0.1', () => {
			const { port } = s.address();
			s.close(() => resolve(port));
		});
	});
}

async function until(fn, what, timeout = 30000, every = 100) {
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

// --- the 1,000 rules, made from the replayed log (deterministic)

const reEsc = (s) => s.replace(/[.[\]()?*+{}|^$\\]/g, '\\$&');
const yq = (s) => "'" + s.replace(/'/g, "''") + "'";
const slug = (s) =>
	s
		.replace(/[^A-Za-z0-9]+/g, '_')
		.replace(/^_+|_+$/g, '')
		.slice(0, 60) || 'x';

/**
 * YAML for N rules over the lines of file (sourceLines' input): the kinds a
 * site accumulates, most plain `match:`, some `top:`, `value:` and `where:`.
 * Returns {yaml, kinds: {kind: count}}.
 */
function makeRules(file, N) {
	const recs = [];
	for (const l of fs.readFileSync(file, 'utf8').split('\n')) {
		const m = CLF.exec(l.replace(/\r$/, ''));
		if (m) recs.push({ ip: l.split(' ')[0], method: m[3], path: m[4], status: m[5], ref: m[7], ua: m[8] });
	}
	const rules = [];
	const names = new Set();
	const kinds = {};
	const add = (kind, name, body) => {
		name = name.slice(0, 100);
		if (names.has(name) || rules.length >= N) return;
		names.add(name);
		kinds[kind] = (kinds[kind] || 0) + 1;
		rules.push(`  - name: ${name}\n` + body.map((b) => `    ${b}\n`).join(''));
	};
	const byCount = (keys) => {
		const c = new Map();
		for (const k of keys) if (k) c.set(k, (c.get(k) || 0) + 1);
		return [...c.entries()].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1)).map((e) => e[0]);
	};

	// status codes a dashboard breaks out (match on the status field)
	const codes = [100, 101, 200, 201, 202, 204, 206, 301, 302, 303, 304, 307, 308, 400, 401, 403, 404, 405, 406, 408, 409, 410];
	codes.push(411, 413, 414, 415, 416, 429, 444, 499, 500, 501, 502, 503, 504, 505, 507, 508, 520, 521);
	for (const c of codes) add('match', `status.${c}`, [`match: ${yq(`" ${c} [0-9-]`)}`]);
	for (const m of ['GET', 'POST', 'HEAD', 'PUT', 'DELETE', 'OPTIONS', 'PATCH', 'CONNECT', 'TRACE', 'PROPFIND'])
		add('match', `method.${m}`, [`match: ${yq(`"${m} `)}`]);
	// user agents: every distinct product token of the log, and others a site sees
	const uaTokens = byCount(recs.flatMap((r) => r.ua.match(/[A-Za-z][A-Za-z-]+\/[0-9]+(\.[0-9]+)?/g) || []));
	const uaMore = ['curl/', 'Wget/', 'python-requests/', 'Go-http-client/', 'okhttp/', 'Java/', 'sqlmap', 'Nikto', 'masscan', 'zgrab',
		'YandexBot', 'Baiduspider', 'DuckDuckBot', 'Applebot', 'facebookexternalhit', 'Twitterbot', 'SemrushBot', 'MJ12bot',
		'DotBot', 'PetalBot', 'Bytespider', 'GPTBot', 'ClaudeBot', 'CCBot', 'UptimeRobot', 'Pingdom', 'HeadlessChrome', 'Edg/', 'OPR/', 'Trident/'];
	for (const t of uaTokens.slice(0, 70)) add('match', `ua.${slug(t)}`, [`match: ${yq(`" "[^"]*${reEsc(t)}`)}`]);
	for (const t of uaMore) add('match', `ua.${slug(t)}`, [`match: ${yq(reEsc(t))}`, 'caseless: true']);
	for (const t of ['bot', 'crawler', 'spider', 'Mobile', 'Android', 'iPhone', 'Windows NT', 'Macintosh', 'Linux x86_64'])
		add('match', `ua.any_${slug(t)}`, [`match: ${yq(reEsc(t))}`, 'caseless: true']);
	// client addresses: the /16s and /24s of the log's clients, and a blocklist
	const ip16 = byCount(recs.map((r) => r.ip.split('.').slice(0, 2).join('.')));
	const ip24 = byCount(recs.map((r) => r.ip.split('.').slice(0, 3).join('.')));
	for (const p of ip16.slice(0, 40)) add('match', `client.${slug(p)}_x_x`, [`match: ${yq('^' + reEsc(p + '.'))}`]);
	for (const p of ip24.slice(0, 40)) add('match', `client.${slug(p)}_x`, [`match: ${yq('^' + reEsc(p + '.'))}`]);
	for (let i = 0; i < 40; i++) add('match', `blocklist.${i}`, [`match: ${yq(`^(45\\.${100 + i}|185\\.${i + 10})\\.[0-9]+\\.[0-9]+ `)}`]);
	// top: who asks for what
	const sections = byCount(recs.map((r) => (/^\/[A-Za-z0-9_-]+/.exec(r.path) || [''])[0]));
	for (const s of sections.slice(0, 15)) {
		add('top', `top.ip.${slug(s)}`, [`match: ${yq(`"[A-Z]+ ${reEsc(s)}[/? ]`)}`, 'top: ip']);
		add('top', `top.path.${slug(s)}`, [`match: ${yq(`"[A-Z]+ ${reEsc(s)}[/? ]`)}`, 'top: path']);
	}
	for (const c of [301, 302, 304, 400, 403, 404, 410, 429, 500, 502, 503, 504]) add('top', `top.path.status_${c}`, [`where: {status: ${c}}`, 'top: path']);
	for (const t of ['Googlebot', 'bingbot', 'AhrefsBot', 'YandexBot', 'SemrushBot', 'MJ12bot', 'bot'])
		add('top', `top.path.ua_${slug(t)}`, [`match: ${yq(reEsc(t))}`, 'caseless: true', 'top: path']);
	for (const m of ['POST', 'HEAD', 'PUT', 'DELETE']) add('top', `top.ip.method_${m}`, [`where: {method: ${m}}`, 'top: ip']);
	add('top', 'top.ip.all', ['where: {status: ">=100"}', 'top: ip']);
	add('top', 'top.path.all', ['where: {status: ">=100"}', 'top: path']);
	// value: bytes sent, by section and status class
	for (const s of sections.slice(0, 20)) add('value', `bytes.${slug(s)}`, [`match: ${yq(`"[A-Z]+ ${reEsc(s)}[/? ]`)}`, 'value: bytes', 'unit: B']);
	for (const c of ['2', '3', '4', '5']) add('value', `bytes.status_${c}xx`, [`where: {status: [${[0, 1, 2, 3, 4].map((d) => `"${c}0${d}"`).join(', ')}]}`, 'value: bytes', 'unit: B']);
	for (const m of ['GET', 'POST', 'HEAD']) add('value', `bytes.method_${m}`, [`where: {method: ${m}}`, 'value: bytes', 'unit: B']);
	for (const t of ['Googlebot', 'bingbot', 'AhrefsBot', 'iPhone', 'Android', 'Windows NT'])
		add('value', `bytes.ua_${slug(t)}`, [`match: ${yq(reEsc(t))}`, 'value: bytes', 'unit: B']);
	// where: fields
	for (const [n, w] of [
		['errors_4xx', '{status: [400, 401, 403, 404, 405, 408, 410, 429]}'],
		['errors_5xx', '{status: ">=500"}'],
		['redirects', '{status: [301, 302, 303, 307, 308]}'],
		['not_modified', '{status: 304}'],
		['not_found', '{status: 404}'],
		['writes', '{method: [POST, PUT, PATCH, DELETE]}'],
		['big_responses', '{bytes: ">100000"}'],
		['huge_responses', '{bytes: ">1000000"}'],
		['empty_responses', '{bytes: "<1"}'],
		['authenticated', '{user: "!=-"}'],
		['no_referrer', '{referrer: "-"}'],
		['http10', '{protocol: HTTP/1.0}'],
		['http2', '{protocol: HTTP/2.0}'],
		['robots', '{path: /robots.txt}'],
		['favicon', '{path: /favicon.ico}'],
		['home', '{path: /}'],
	])
		add('where', `where.${n}`, [`where: ${w}`]);
	for (const s of sections.slice(0, 12)) {
		add('where', `where.${slug(s)}_404`, [`match: ${yq(`"[A-Z]+ ${reEsc(s)}[/? ]`)}`, 'where: {status: 404}']);
		add('where', `where.${slug(s)}_redirect`, [`match: ${yq(`"[A-Z]+ ${reEsc(s)}[/? ]`)}`, 'where: {status: [301, 302]}']);
		add('where', `where.${slug(s)}_big`, [`match: ${yq(`"[A-Z]+ ${reEsc(s)}[/? ]`)}`, 'where: {bytes: ">50000"}']);
	}
	// WAF probes and attack patterns (a live site gets them; this log has few)
	const probes = ['/wp-login.php', '/wp-admin', '/xmlrpc.php', '/.env', '/.git/config', '/phpmyadmin', '/admin.php', '/config.php',
		'/vendor/phpunit', '/cgi-bin/', '/actuator/', '/server-status', '/.aws/', '/.DS_Store', '/backup.zip', '/shell.php',
		'/boaform/', '/HNAP1', '/solr/', '/jenkins/', '/owa/', '/autodiscover/', '/_ignition/', '/telescope/', '/console/'];
	for (const p of probes) add('match', `waf.${slug(p)}`, [`match: ${yq(`"[A-Z]+ ${reEsc(p)}`)}`, 'caseless: true']);
	for (const [n, re] of [
		['sqli_union', 'union[+%20 ]+select'],
		['sqli_or', "'[+%20 ]+or[+%20 ]+"],
		['traversal', '[.][.]/|%2e%2e%2f'],
		['xss_script', '<script|%3cscript'],
		['cmd_injection', ';(ls|id|cat|wget|curl)[+%20 ]'],
		['log4shell', '[$][{]jndi:'],
		['null_byte', '%00'],
	])
		add('match', `waf.${n}`, [`match: ${yq(re)}`, 'caseless: true']);
	// the paths of the log: its sections, then its pages (two segments), most requested first
	for (const s of sections) add('match', `path.${slug(s)}`, [`match: ${yq(`"[A-Z]+ ${reEsc(s)}[/? ]`)}`]);
	const pages = byCount(recs.map((r) => (/^\/[A-Za-z0-9_-]+\/[A-Za-z0-9_-]+/.exec(r.path) || [''])[0]));
	for (const p of pages) add('match', `path.${slug(p)}`, [`match: ${yq(`"[A-Z]+ ${reEsc(p)}[/? ]`)}`]);
	// referrers
	const refs = byCount(recs.map((r) => (/^https?:\/\/([^/"]+)/.exec(r.ref) || [])[1]));
	for (const r of refs) add('match', `referrer.${slug(r)}`, [`match: ${yq(`" "https?://${reEsc(r)}[/"]`)}`]);
	// an API this site does not have yet: resources x methods (match nothing here, as many rules do)
	const res = ['orders', 'carts', 'users', 'sessions', 'payments', 'invoices', 'shipments', 'coupons', 'reviews', 'wishlists',
		'addresses', 'products', 'categories', 'brands', 'stores', 'stock', 'prices', 'returns', 'refunds', 'tickets'];
	for (let v = 1; rules.length < N; v++)
		for (const r of res)
			for (const m of ['GET', 'POST', 'PUT', 'DELETE', 'PATCH']) add('match', `api.v${v}.${r}.${m}`, [`match: ${yq(`"${m} /api/v${v}/${r}[/? ]`)}`]);
	return { yaml: 'rules:\n' + rules.join(''), kinds, count: rules.length };
}

// --- processes and clean-up

const children = [];
let tmpDir = null;
function cleanup() {
	for (const p of children) if (p.exitCode === null && p.signalCode === null) p.kill('SIGTERM');
	if (tmpDir && process.env.BENCH_KEEP) console.log(`kept ${tmpDir} (BENCH_KEEP)`);
	else if (tmpDir) fs.rmSync(tmpDir, { recursive: true, force: true });
	tmpDir = null;
}
process.on('SIGINT', () => (cleanup(), process.exit(130)));
process.on('SIGTERM', () => (cleanup(), process.exit(143)));

function startChild(cmd, args, logFile, opts = {}) {
	const out = fs.openSync(logFile, 'a');
	const p = spawn(cmd, args, { stdio: [opts.stdin || 'ignore', out, out], ...opts.spawn });
	fs.closeSync(out);
	children.push(p);
	return p;
}
async function stopChild(p) {
	if (!p || p.exitCode !== null || p.signalCode !== null) return;
	const done = new Promise((r) => p.once('exit', r));
	p.kill('SIGTERM');
	await Promise.race([done, sleep(10000).then(() => p.kill('SIGKILL'))]);
}

/** GET url: {status, headers, bytes (as received), body (decoded text)}. */
function get(url, headers = {}) {
	return new Promise((resolve, reject) => {
		http
			.get(url, { headers }, (res) => {
				const chunks = [];
				res.on('data', (c) => chunks.push(c));
				res.on('end', () => {
					const raw = Buffer.concat(chunks);
					const body = res.headers['content-encoding'] === 'gzip' ? zlib.gunzipSync(raw) : raw;
					resolve({ status: res.statusCode, headers: res.headers, bytes: raw.length, body: body.toString('utf8') });
				});
				res.on('error', reject);
			})
			.on('error', reject);
	});
}

/** A static file server for GoAccess's report.html (gzip when asked, as nginx with gzip on). */
function serveFile(file, port) {
	let cache = { mtime: 0, raw: null, gz: null };
	const srv = http.createServer((req, res) => {
		if (req.url !== '/' && req.url !== '/report.html') return res.writeHead(404).end();
		const st = fs.statSync(file);
		if (st.mtimeMs !== cache.mtime) {
			const raw = fs.readFileSync(file);
			cache = { mtime: st.mtimeMs, raw, gz: zlib.gzipSync(raw, { level: 6 }) };
		}
		const gz = /\bgzip\b/.test(req.headers['accept-encoding'] || '');
		res.writeHead(200, {
			'content-type': 'text/html; charset=utf-8',
			'cache-control': 'no-cache',
			...(gz ? { 'content-encoding': 'gzip' } : {}),
		});
		res.end(gz ? cache.gz : cache.raw);
	});
	return new Promise((r) => srv.listen(port, '127.0.0.1', () => r(srv)));
}

/**
 * Read n tick events of url's SSE (raw, as a browser gets them: weir does
 * not compress the stream): {snapshotBytes, ticks: [{bytes, rules}], seconds, other}.
 */
function readStream(url, n, timeoutMs) {
	return new Promise((resolve, reject) => {
		const out = { snapshotBytes: 0, ticks: [], other: 0, seconds: 0 };
		let buf = Buffer.alloc(0);
		let t0 = 0;
		const req = http.get(url, (res) => {
			if (res.statusCode !== 200) return reject(new Error(`${url}: HTTP ${res.statusCode}`));
			res.on('data', (c) => {
				buf = Buffer.concat([buf, c]);
				for (let i; (i = buf.indexOf('\n\n')) >= 0; ) {
					const ev = buf.subarray(0, i + 2);
					buf = buf.subarray(i + 2);
					const text = ev.toString('utf8');
					const type = (/^event: (\S+)$/m.exec(text) || [])[1];
					const data = text
						.split('\n')
						.filter((l) => l.startsWith('data: '))
						.map((l) => l.slice(6))
						.join('\n');
					if (type === 'snapshot' && !out.snapshotBytes) {
						out.snapshotBytes = ev.length;
						t0 = performance.now();
					} else if (type === 'tick' && t0) {
						let rules = NaN;
						try {
							rules = (JSON.parse(data).rules || []).length;
						} catch {
							/* counted as bytes all the same */
						}
						out.ticks.push({ bytes: ev.length, rules });
						if (out.ticks.length >= n) {
							out.seconds = (performance.now() - t0) / 1000;
							req.destroy();
							return resolve(out);
						}
					} else out.other += ev.length;
				}
			});
		});
		req.on('error', (e) => (out.ticks.length >= n ? null : reject(e)));
		setTimeout(() => {
			req.destroy();
			reject(new Error(`${url}: ${out.ticks.length} of ${n} ticks in ${timeoutMs} ms`));
		}, timeoutMs);
	});
}

// --- how busy the machine was with others' work: /proc/stat's busy time
// less the CPU time of this process tree (weir, the writer, GoAccess,
// Chromium), as a share of all CPUs. A process of ours that ended between
// two readings (a closed browser context) is counted as others'.

function cpuNow() {
	const st = fs.readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).slice(1, 9).map(Number);
	const total = st.reduce((a, b) => a + b, 0);
	const ppid = new Map();
	const cpu = new Map();
	for (const d of fs.readdirSync('/proc')) {
		if (!/^[0-9]+$/.test(d)) continue;
		try {
			const t = fs.readFileSync(`/proc/${d}/stat`, 'utf8');
			const f = t.slice(t.lastIndexOf(')') + 2).split(' ');
			ppid.set(Number(d), Number(f[1]));
			cpu.set(Number(d), Number(f[11]) + Number(f[12]));
		} catch {
			/* gone meanwhile */
		}
	}
	const ours = new Map();
	for (const [pid, c] of cpu) {
		for (let p = pid, i = 0; p > 1 && i < 64; p = ppid.get(p), i++)
			if (p === process.pid) {
				ours.set(pid, c);
				break;
			}
	}
	return { busy: total - st[3] - st[4], total, ours };
}

/** Others' share of all CPUs between two cpuNow() readings. */
function othersBusy(a, b) {
	let ours = 0;
	for (const [pid, c] of b.ours) ours += c - (a.ours.get(pid) || 0);
	const dt = b.total - a.total;
	return dt > 0 ? Math.max(0, (b.busy - a.busy - ours) / dt) : NaN;
}

// --- the browser

/** Runs in every page before its scripts: collects the page's 'weir-tick' measures and long tasks. */
function pageProbe() {
	window.__bench = { ticks: [], longtasks: [] };
	new PerformanceObserver((l) => {
		for (const e of l.getEntries())
			if (e.name === 'weir-tick') window.__bench.ticks.push([e.startTime, e.duration, e.detail ? e.detail.work : NaN, e.detail ? e.detail.apply : NaN]);
	}).observe({ type: 'measure' });
	try {
		new PerformanceObserver((l) => {
			for (const e of l.getEntries()) window.__bench.longtasks.push([e.startTime, e.duration]);
		}).observe({ type: 'longtask' });
	} catch {
		window.__bench.noLongtask = true;
	}
}

/** Everything collected since the last drain: {ticks, longtasks, now}. */
const drain = (page) =>
	page.evaluate(() => {
		const b = window.__bench;
		const r = { ticks: b.ticks.splice(0), longtasks: b.longtasks.splice(0), now: performance.now() };
		return r;
	});

async function openPage(browser) {
	const ctx = await browser.newContext({ viewport: { width: 1280, height: 800 } });
	await ctx.addInitScript(pageProbe);
	const page = await ctx.newPage();
	page.errors = [];
	page.on('pageerror', (e) => page.errors.push(e.message));
	const cdp = await ctx.newCDPSession(page);
	await cdp.send('Performance.enable');
	return { ctx, page, cdp };
}

async function metrics(cdp) {
	const { metrics: m } = await cdp.send('Performance.getMetrics');
	return Object.fromEntries(m.map((x) => [x.name, x.value]));
}

/** weir's page is drawn: its rule count reads "N of N rules", the first snapshot is applied, every visible row has a total. */
function weirDrawn(n) {
	const c = [...document.querySelectorAll('.overview .toolbar [aria-live]')].find((e) => / rules$/.test(e.textContent));
	if (!c || c.textContent !== `${n} of ${n} rules`) return false;
	if (!performance.getEntriesByName('weir-snapshot').length) return false;
	const rows = [...document.querySelectorAll('.vscroll .vrow')].filter((r) => !r.hidden);
	if (!rows.length || rows.some((r) => !/^[0-9]/.test(r.children[1].textContent))) return false;
	return { t: performance.now(), rows: rows.length, snapshot: performance.getEntriesByName('weir-snapshot')[0].startTime };
}

/** GoAccess's report is drawn: total requests shown, and a row in every panel that has data. */
function goaccessDrawn() {
	const d = window.json_data;
	const tr = document.getElementById('total_requests');
	if (!d || !tr || !/[0-9]/.test(tr.textContent)) return false;
	let panels = 0;
	for (const [k, v] of Object.entries(d)) {
		if (k === 'general' || !v || !Array.isArray(v.data) || !v.data.length) continue;
		const p = document.getElementById('panel-' + k);
		if (!p || !p.querySelector('tbody tr')) return false;
		panels++;
	}
	return panels ? { t: performance.now(), panels } : false;
}

async function firstRender(browser, url, drawn, arg) {
	const { ctx, page } = await openPage(browser);
	try {
		await page.goto(url, { waitUntil: 'commit' });
		const h = await page.waitForFunction(drawn, arg, { polling: 'raf', timeout: 30000 });
		const r = await h.jsonValue();
		r.errors = page.errors;
		return r;
	} finally {
		await ctx.close();
	}
}

/** A forced GC, then the page's metrics; the GC's span (page clock) is returned to leave its long task out. */
async function heapSample(page, cdp) {
	const before = await metrics(cdp);
	const g0 = await page.evaluate(() => performance.now());
	await cdp.send('HeapProfiler.collectGarbage');
	const g1 = await page.evaluate(() => performance.now());
	const after = await metrics(cdp);
	return { before, after, gc: [g0, g1] };
}

// --- main

async function main() {
	const t0 = Date.now();
	const WEIR_BIN = process.env.WEIR_BIN || path.join(ROOT, 'build/release/weir');
	const BENCH_DIR = process.env.BENCH_DIR || '/dev/shm';
	const SECONDS = env('BENCH_DASHBOARD_SECONDS', 600, { min: 6 });
	const RATE = env('BENCH_DASHBOARD_RATE', 1000, { min: 1 });
	const PREFILL = env('BENCH_DASHBOARD_PREFILL', 60);
	const LOADS = env('BENCH_DASHBOARD_LOADS', 5, { min: 1 });
	const TICKS = env('BENCH_DASHBOARD_TICKS', 30, { min: 2 });
	const NRULES = env('BENCH_DASHBOARD_RULES', 1000, { min: 1 });
	const RENDER_BAR = env('BENCH_DASHBOARD_RENDER_BAR', 1000);
	const TICK_BAR = env('BENCH_DASHBOARD_TICK_BAR', 16);
	const MEM_BAR = env('BENCH_DASHBOARD_MEM_BAR', 0.1);
	const SRC = process.env.BENCH_DASHBOARD_LOG || SHOP;
	const GOACCESS = process.env.BENCH_DASHBOARD_GOACCESS ?? 'goaccess';
	const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';
	const EVERY = Math.min(60, SECONDS / 6);

	for (const [what, f] of [
		['weir (WEIR_BIN)', WEIR_BIN],
		['chromium (CHROMIUM)', CHROMIUM],
		['the access log to replay (BENCH_DASHBOARD_LOG)', SRC],
	])
		if (!fs.existsSync(f)) throw setupError(`${what} not found: ${f}`);
	let chromium;
	try {
		const require = createRequire(path.join(ROOT, 'web/package.json'));
		({ chromium } = require('playwright-core'));
	} catch {
		throw setupError('playwright-core is not in web/node_modules: make build/release/weir (npm ci) first');
	}
	let goVersion = null;
	if (GOACCESS !== '0') {
		goVersion = await new Promise((r) => {
			const p = spawn(GOACCESS, ['--version'], { stdio: ['ignore', 'pipe', 'ignore'] });
			let s = '';
			p.stdout.on('data', (c) => (s += c));
			p.on('error', () => r(null));
			p.on('exit', () => r((/GoAccess - ([0-9]+(?:\.[0-9]+)*)/.exec(s) || [])[1] || null));
		});
		if (!goVersion) throw setupError(`${GOACCESS} not found (Debian package goaccess: scripts/deps.sh bench), or BENCH_DASHBOARD_GOACCESS=0`);
	}

	const lines = sourceLines(SRC);
	if (lines.length < 10) throw setupError(`${SRC}: only ${lines.length} combined-format lines`);
	tmpDir = fs.mkdtempSync(path.join(BENCH_DIR, 'weir-dash-'));
	const log = path.join(tmpDir, 'access.log');
	const { yaml, kinds, count } = makeRules(SRC, NRULES);
	if (count !== NRULES) throw setupError(`made only ${count} of ${NRULES} rules`);
	const port = await freePort();
	const url = `http://127.0.0.1:${port}`;
	const cfg = path.join(tmpDir, 'weir.yaml');
	fs.writeFileSync(
		cfg,
		`listen: 127.0.0.1:${port}\nstate_dir: ${tmpDir}/state\nsources:\n  - {name: nginx, type: file, path: ${log}, format: combined, start: beginning}\n` +
			yaml
	);

	// the log: PREFILL seconds of lines, then RATE a second from the writer
	const now = Date.now();
	const pre = Math.round(PREFILL * RATE);
	{
		const fd = fs.openSync(log, 'w');
		let buf = '';
		for (let i = 0; i < pre; i++) {
			const l = lines[i % lines.length];
			buf += l[0] + clfTime(now - (PREFILL * 1000 * (pre - i)) / pre) + l[1] + '\n';
			if (buf.length > 1 << 20) fs.writeSync(fd, buf), (buf = '');
		}
		fs.writeSync(fd, buf);
		fs.closeSync(fd);
	}
	const writer = startChild(process.execPath, [fileURLToPath(import.meta.url), '--writer', log, String(RATE), SRC, String(pre)], path.join(tmpDir, 'writer.log'), {
		stdin: 'pipe',
	});
	const weir = startChild(WEIR_BIN, ['serve', '-c', cfg], path.join(tmpDir, 'weir.log'));
	const weirAlive = () => {
		if (weir.exitCode !== null || weir.signalCode !== null)
			throw new Error(`weir exited (${weir.exitCode ?? weir.signalCode}): ${fs.readFileSync(path.join(tmpDir, 'weir.log'), 'utf8').slice(-2000)}`);
		return true;
	};
	await until(async () => weirAlive() && (await get(url + '/readyz').catch(() => ({}))).status === 200, 'weir ready', 30000);
	await until(async () => JSON.parse((await get(url + '/api/v1/snapshot')).body).ingest.records >= pre, `weir read the ${pre} prefilled lines`, 60000);

	console.log(`dashboard bench: weir ${NRULES} rules vs GoAccess ${goVersion || '(skipped)'}; soak ${SECONDS} s`);
	console.log(`machine:  ${os.cpus().length} CPUs (${(os.cpus()[0] || {}).model}), load average ${os.loadavg()[0].toFixed(2)}`);
	console.log(`log:      ${BENCH_DIR} (tmpfs), ${path.basename(SRC)} (${lines.length} real nginx lines) replayed at ${RATE} lines/s with fresh timestamps, ${pre} lines before start`);
	console.log(`rules:    ${Object.entries(kinds).map(([k, v]) => `${v} ${k}:`).join(', ')} (made from that log); default windows and 1 s tick`);

	const browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage'] });
	const R = { rules: NRULES, rate: RATE, seconds: SECONDS, weir: {}, goaccess: {} };
	let goaccess = null;
	let goUrl = null;
	let goSrv = null;
	try {
		if (goVersion) {
			const wsPort = await freePort();
			const goPort = await freePort();
			const report = path.join(tmpDir, 'report.html');
			goaccess = startChild(
				GOACCESS,
				[log, '--log-format=COMBINED', '-o', report, '--real-time-html', `--port=${wsPort}`, '--addr=127.0.0.1', `--ws-url=ws://127.0.0.1:${wsPort}`, '--no-global-config'],
				path.join(tmpDir, 'goaccess.log')
			);
			await until(() => {
				if (goaccess.exitCode !== null) throw new Error(`goaccess exited: ${fs.readFileSync(path.join(tmpDir, 'goaccess.log'), 'utf8').slice(-1000)}`);
				return fs.existsSync(report) && fs.statSync(report).size > 10000 && /ready to accept/.test(fs.readFileSync(path.join(tmpDir, 'goaccess.log'), 'utf8'));
			}, 'GoAccess report.html and its WebSocket server', 60000);
			goSrv = await serveFile(report, goPort);
			goUrl = `http://127.0.0.1:${goPort}/report.html`;
		}

		// 1. first render, alternately
		console.log(`[1/3] first render: ${LOADS} cold loads each ...`);
		const wr = [];
		const gr = [];
		const c1 = cpuNow();
		for (let i = 0; i < LOADS; i++) {
			weirAlive();
			const a = await firstRender(browser, url + '/', weirDrawn, NRULES);
			wr.push(a);
			let line = `      load ${i + 1}: weir ${fmt(a.t)} ms (snapshot applied at ${fmt(a.snapshot)} ms, ${a.rows} rows drawn)`;
			if (goUrl) {
				const b = await firstRender(browser, goUrl, goaccessDrawn);
				gr.push(b);
				line += `, GoAccess ${fmt(b.t)} ms (${b.panels} panels)`;
			}
			console.log(line);
		}
		R.busy = { render: othersBusy(c1, cpuNow()) };
		R.weir.first_render_ms = wr.map((x) => x.t);
		R.goaccess.first_render_ms = gr.map((x) => x.t);
		const pageErrors = wr.flatMap((x) => x.errors);

		// 2. stream bytes (weir, read here) and GoAccess's frames (in its page)
		console.log(`[2/3] updates: ${TICKS} ticks of weir's /api/v1/stream; GoAccess's page as long ...`);
		const c2 = cpuNow();
		const snapRaw = await get(url + '/api/v1/snapshot');
		const snapGz = await get(url + '/api/v1/snapshot', { 'accept-encoding': 'gzip' });
		const st = await readStream(url + '/api/v1/stream', TICKS, TICKS * 5000 + 30000);
		R.weir.stream = { snapshot_event_bytes: st.snapshotBytes, tick_bytes: st.ticks.map((t) => t.bytes), tick_rules: st.ticks.map((t) => t.rules), seconds: st.seconds };
		R.weir.snapshot_bytes = snapRaw.bytes;
		R.weir.snapshot_gzip_bytes = snapGz.headers['content-encoding'] === 'gzip' ? snapGz.bytes : NaN;
		if (goUrl) {
			const { ctx, page, cdp } = await openPage(browser);
			const frames = [];
			page.on('websocket', (ws) => ws.on('framereceived', (f) => frames.push({ t: performance.now(), bytes: Buffer.byteLength(f.payload) })));
			await page.goto(goUrl);
			await page.waitForFunction(goaccessDrawn, null, { polling: 'raf', timeout: 30000 });
			await until(() => frames.length > 0, 'GoAccess first WebSocket frame', 30000);
			await sleep(2000);
			await drain(page);
			const m0 = await metrics(cdp);
			const from = frames.length;
			const tA = performance.now();
			await sleep(st.seconds * 1000);
			const m1 = await metrics(cdp);
			const d = await drain(page);
			const upd = frames.slice(from);
			const span = (performance.now() - tA) / 1000;
			R.goaccess.updates = {
				first_frame_bytes: frames[0].bytes,
				frame_bytes: upd.map((f) => f.bytes),
				seconds: span,
				task_s: m1.TaskDuration - m0.TaskDuration,
				script_s: m1.ScriptDuration - m0.ScriptDuration,
				longtasks: d.longtasks,
				heap_bytes: [m0.JSHeapUsedSize, m1.JSHeapUsedSize],
			};
			await ctx.close();
			await stopChild(goaccess);
			goSrv.close();
		}
		R.busy.updates = othersBusy(c2, cpuNow());

		// 3. the soak: weir's page for SECONDS
		console.log(`[3/3] weir's page for ${SECONDS} s: per-tick main-thread time, long tasks, JS heap every ${fmt(EVERY)} s ...`);
		const { ctx, page, cdp } = await openPage(browser);
		await page.goto(url + '/');
		await page.waitForFunction(weirDrawn, NRULES, { polling: 'raf', timeout: 30000 });
		await sleep(5000); // sparkline backfill, first polls
		await drain(page);
		const ticks = [];
		const longtasks = [];
		const samples = [];
		const gcs = [];
		let prev = await heapSample(page, cdp);
		gcs.push(prev.gc);
		samples.push({ s: 0, heap: prev.after.JSHeapUsedSize, nodes: prev.after.Nodes, listeners: prev.after.JSEventListeners });
		let task = 0;
		const start = performance.now();
		const c3 = cpuNow();
		const PROFILE = process.env.BENCH_DASHBOARD_PROFILE;
		if (PROFILE) await cdp.send('Profiler.enable'), await cdp.send('Profiler.start');
		for (let k = 1; (k - 1) * EVERY < SECONDS - 1e-9; k++) {
			const wait = start + Math.min(k * EVERY, SECONDS) * 1000 - performance.now();
			if (wait > 0) await sleep(wait);
			weirAlive();
			if (PROFILE && k === 1) {
				const { profile } = await cdp.send('Profiler.stop');
				fs.writeFileSync(PROFILE, JSON.stringify(profile));
				console.log(`      CPU profile of the first ${fmt(EVERY)} s in ${PROFILE}; most self time:`);
				for (const [f, ms] of profileTop(profile, 8)) console.log(`        ${fmt(ms, 0).padStart(6)} ms  ${f}`);
			}
			const d = await drain(page);
			ticks.push(...d.ticks);
			longtasks.push(...d.longtasks);
			const s = await heapSample(page, cdp);
			gcs.push(s.gc);
			task += s.before.TaskDuration - prev.after.TaskDuration;
			prev = s;
			const at = (performance.now() - start) / 1000;
			samples.push({ s: at, heap: s.after.JSHeapUsedSize, nodes: s.after.Nodes, listeners: s.after.JSEventListeners });
			console.log(
				`      ${fmt(at)} s: JS heap ${mib(s.after.JSHeapUsedSize)}, ${s.after.Nodes} DOM nodes, ${ticks.length} ticks so far, tick work p95 ${fmt(pct(ticks.map((t) => t[2]), 95), 2)} ms`
			);
		}
		R.busy.soak = othersBusy(c3, cpuNow());
		pageErrors.push(...page.errors);
		await ctx.close();
		const inGc = (t) => gcs.some(([a, b]) => t >= a - 50 && t <= b + 50);
		const lt = longtasks.filter((x) => !inGc(x[0]));
		R.weir.soak = { ticks, longtasks: lt, longtasks_in_gc: longtasks.length - lt.length, samples, task_s: task };
		R.page_errors = pageErrors;
	} finally {
		await browser.close().catch(() => {});
		await stopChild(goaccess);
		if (goSrv) goSrv.close();
		writer.stdin.end();
		await stopChild(writer);
		const alive = weir.exitCode === null && weir.signalCode === null;
		await stopChild(weir);
		if (!alive) console.log('weir was not running at the end');
	}
	cleanup();
	return report(R, { RENDER_BAR, TICK_BAR, MEM_BAR, LOADS, t0, goVersion });
}

/** The n functions with the most self time in a CDP CPU profile: [[name (file:line), ms]]. */
function profileTop(p, n) {
	const dt = (p.endTime - p.startTime) / 1000 / Math.max(1, p.samples.length);
	const by = new Map();
	for (const x of p.nodes) {
		const c = x.callFrame;
		const k = `${c.functionName || '(anonymous)'} (${c.url ? path.basename(c.url) + ':' + (c.lineNumber + 1) : 'native'})`;
		by.set(k, (by.get(k) || 0) + (x.hitCount || 0) * dt);
	}
	return [...by.entries()].sort((a, b) => b[1] - a[1]).slice(0, n);
}

// --- the table and the bars

function report(R, { RENDER_BAR, TICK_BAR, MEM_BAR, LOADS, t0, goVersion }) {
	const W = R.weir;
	const G = R.goaccess;
	const soak = W.soak;
	const work = soak.ticks.map((t) => t[2]);
	const wall = soak.ticks.map((t) => t[1]);
	const apply = soak.ticks.map((t) => t[3]);
	const tickBytes = W.stream.tick_bytes;
	const tickMean = tickBytes.reduce((a, b) => a + b, 0) / tickBytes.length;
	const gU = G.updates;
	const gMean = gU && gU.frame_bytes.length ? gU.frame_bytes.reduce((a, b) => a + b, 0) / gU.frame_bytes.length : NaN;
	const wRender = median(W.first_render_ms);
	const gRender = median(G.first_render_ms);
	const busyPerTick = (soak.task_s * 1000) / soak.ticks.length;
	const gBusy = gU ? (gU.task_s * 1000) / Math.max(1, gU.frame_bytes.length) : NaN;
	const heaps = soak.samples.map((s) => s.heap);
	const third = Math.max(1, Math.floor(heaps.length / 3));
	const firstMed = median(heaps.slice(0, third));
	const lastMed = median(heaps.slice(-third));
	// least-squares slope of heap over time, bytes a minute
	const xs = soak.samples.map((s) => s.s / 60);
	const mx = xs.reduce((a, b) => a + b, 0) / xs.length;
	const my = heaps.reduce((a, b) => a + b, 0) / heaps.length;
	const slope = xs.reduce((a, x, i) => a + (x - mx) * (heaps[i] - my), 0) / xs.reduce((a, x) => a + (x - mx) ** 2, 0);
	const ltMax = soak.longtasks.reduce((a, x) => Math.max(a, x[1]), 0);
	const gLt = gU ? gU.longtasks : [];
	const ratio = (a, b) => (Number.isFinite(a) && Number.isFinite(b) && b > 0 ? (a / b).toFixed(2) + 'x' : '');
	const na = goVersion ? 'n/a' : 'skipped';

	const rows = [
		['first full render, median of ' + LOADS + ' cold loads', `${fmt(wRender)} ms`, goVersion ? `${fmt(gRender)} ms` : na, ratio(wRender, gRender),
			`weir: "${R.rules} of ${R.rules} rules", snapshot applied, every visible row drawn; GoAccess: every panel with data drawn`],
		['  (all loads)', W.first_render_ms.map((x) => fmt(x)).join(' '), G.first_render_ms.map((x) => fmt(x)).join(' ') || na, '', 'ms'],
		['payload per update, mean', `${fmt(tickMean)} B`, goVersion ? `${fmt(gMean)} B` : na, ratio(tickMean, gMean),
			`weir: tick event on /api/v1/stream (median ${fmt(median(tickBytes))}, max ${fmt(Math.max(...tickBytes))}); GoAccess: WebSocket frame (a full resend)`],
		['rules listed per tick, median', fmt(median(W.stream.tick_rules)), 'n/a', '', 'GoAccess has no per-rule view'],
		['full state (what a resend costs)', `${fmt(W.snapshot_bytes)} B`, goVersion ? `${fmt(gU.first_frame_bytes)} B` : na, ratio(W.snapshot_bytes, gU && gU.first_frame_bytes),
			`weir: GET /api/v1/snapshot (${fmt(W.snapshot_gzip_bytes)} B gzip; the stream's snapshot event ${fmt(W.stream.snapshot_event_bytes)} B); GoAccess: its first frame`],
		['delta vs full resend', `${(W.snapshot_bytes / tickMean).toFixed(1)}x smaller`, 'full resend', '', 'snapshot bytes / mean tick bytes'],
		['updates per second', fmt(tickBytes.length / W.stream.seconds, 2), goVersion ? fmt(gU.frame_bytes.length / gU.seconds, 2) : na, '',
			`over ${fmt(W.stream.seconds, 1)} s / ${goVersion ? fmt(gU.seconds, 1) : '-'} s`],
		['main-thread time per tick (weir-tick)', `${fmt(median(work), 2)} / ${fmt(pct(work, 95), 2)} / ${fmt(Math.max(...work), 2)} ms`, 'n/a', '',
			`median / p95 / max over ${work.length} ticks: applying the delta + drawing the frame (JS); GoAccess's page has no such hook`],
		['  of which parsing + applying the delta', `${fmt(median(apply), 2)} / ${fmt(pct(apply, 95), 2)} / ${fmt(Math.max(...apply), 2)} ms`, 'n/a', '', 'median / p95 / max: JSON.parse + store.applyTick; the rest is the frame (overview: sort, filter, draw the visible rows and sparklines)'],
		['  arrival to drawn (weir-tick span)', `${fmt(median(wall), 1)} / ${fmt(pct(wall, 95), 1)} ms`, 'n/a', '', 'median / p95, includes the wait for the next frame'],
		['main-thread busy per update (CDP)', `${fmt(busyPerTick, 2)} ms`, goVersion ? `${fmt(gBusy, 2)} ms` : na, ratio(busyPerTick, gBusy),
			'TaskDuration / updates: every task (script, style, layout, paint, polls), not only the update'],
		['long tasks (> 50 ms)', `${soak.longtasks.length}, max ${fmt(ltMax)} ms`, goVersion ? `${gLt.length}, max ${fmt(gLt.reduce((a, x) => Math.max(a, x[1]), 0))} ms` : na, '',
			`weir over ${fmt(R.seconds)} s (${soak.longtasks_in_gc} more during the forced GCs left out); GoAccess over ${goVersion ? fmt(gU.seconds, 0) : '-'} s`],
		['JS heap first -> last', `${mib(heaps[0])} -> ${mib(heaps[heaps.length - 1])}`, goVersion ? `${mib(gU.heap_bytes[0])} -> ${mib(gU.heap_bytes[1])}` : na, '',
			`weir: after a forced GC, ${heaps.length} samples over ${fmt(R.seconds)} s; GoAccess: over its ${goVersion ? fmt(gU.seconds, 0) : '-'} s, no GC`],
		['  heap slope', `${fmt(slope / 1024, 1)} KiB/min`, 'n/a', '', `least squares over the samples; DOM nodes ${soak.samples[0].nodes} -> ${soak.samples[soak.samples.length - 1].nodes}`],
		['per-rule view', `${R.rules} rules`, 'n/a', '', 'GoAccess has no rules: its panels are fixed (visitors, requests, status codes, ...)'],
	];
	const wd = [0, 1, 2, 3].map((i) => Math.max(...rows.map((r) => r[i].length), ['figure', 'weir', 'GoAccess', 'weir/GoA'][i].length));
	const line = (r) => r.slice(0, 4).map((c, i) => (i === 0 ? c.padEnd(wd[i]) : c.padStart(wd[i]))).join('  ') + '  ' + (r[4] || '');
	console.log();
	console.log(line(['figure', 'weir', 'GoAccess', 'weir/GoA', 'how']));
	for (const r of rows) console.log(line(r));
	console.log();

	const pc = (x) => (Number.isFinite(x) ? (x * 100).toFixed(0) + '%' : 'n/a');
	console.log(`others busy (share of all CPUs used by processes not this benchmark's): render ${pc(R.busy.render)}, updates ${pc(R.busy.updates)}, soak ${pc(R.busy.soak)}`);
	if (Math.max(R.busy.render, R.busy.updates, R.busy.soak) > 0.25)
		console.log('NOISE: others used more than 25% of the machine in a phase: its times are inflated; the ratios to GoAccess (same phase, alternating) hold better');
	let ok = true;
	const bar = (name, pass, text) => {
		console.log(`${name}: ${pass ? 'PASS' : 'FAIL'} - ${text}`);
		ok &&= pass;
		return pass;
	};
	const renderOk = bar('RENDER BAR', wRender <= RENDER_BAR, `median first full render ${fmt(wRender)} ms (bar <= ${RENDER_BAR} ms)`);
	const tickOk = bar('TICK BAR', work.length > 0 && pct(work, 95) <= TICK_BAR,
		`p95 main-thread time per tick ${fmt(pct(work, 95), 2)} ms over ${work.length} ticks (bar <= ${TICK_BAR} ms; median ${fmt(median(work), 2)}, max ${fmt(Math.max(...work), 2)})`);
	const memOk = bar('MEMORY BAR', lastMed <= firstMed * (1 + MEM_BAR),
		`median JS heap of the last third of the samples ${mib(lastMed)} vs the first third's ${mib(firstMed)}: ${((lastMed / firstMed - 1) * 100).toFixed(1)}% (bar <= +${(MEM_BAR * 100).toFixed(0)}%; largest sample ${mib(Math.max(...heaps))})`);
	const errOk = bar('PAGE ERRORS', R.page_errors.length === 0, R.page_errors.length ? R.page_errors.slice(0, 5).join('; ') : 'none');
	if (busyPerTick > TICK_BAR) console.log(`note: the page's whole main-thread busy time per tick, ${fmt(busyPerTick, 2)} ms, is above ${TICK_BAR} ms`);
	if (process.env.BENCH_RESULTS) fs.writeFileSync(process.env.BENCH_RESULTS, JSON.stringify(R, null, 1));
	const v = (b) => (b ? 'PASS' : 'FAIL');
	console.log(`dashboard bench: render ${v(renderOk)}, tick ${v(tickOk)}, memory ${v(memOk)}, errors ${v(errOk)} (${((Date.now() - t0) / 60000).toFixed(1)} minutes)`);
	return ok ? 0 : 1;
}

// last, once every top-level binding above exists (main reaches tmpDir,
// children... before its first await when BENCH_DASHBOARD_GOACCESS=0)
if (process.argv[2] !== '--writer')
	main().then(
		(rc) => process.exit(rc),
		(e) => {
			console.error(`dashboard bench: ${e.stack || e}`);
			cleanup();
			process.exit(e.setup ? 2 : 1);
		}
	);
