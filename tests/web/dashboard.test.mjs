// dashboard.test.mjs - the dashboard in headless Chromium against the real
// daemon (WEIR_BIN) fed by a log file written here: it loads cleanly, shows
// every rule, counts live, filters, sorts, shows a rule's chart, top keys
// and samples, restores a view from its URL, recovers from a restart,
// shows hostile log bytes as text, and leaves light and dark screenshots
// in WEB_TEST_OUT (build/<mode>/web-test/).

import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { makeWeir, browser, newPage, until, rowCells, OUT } from './harness.mjs';

const RULES = ['errors', 'requests', 'slow', 'auth.failed', 'zeta'];

function lines(n, from = 0) {
	let s = '';
	for (let i = from; i < from + n; i++) {
		const lvl = i % 4 === 0 ? 'error' : 'info';
		s += `level=${lvl} path=/api/${i % 7} status=200 rt=0.${i % 10}23 user=u${i % 13} ip=10.0.0.${i % 5}\n`;
	}
	return s;
}

const num = (s) => Number(String(s).replace(/[^0-9]/g, ''));

/** A rate as the page shows it ("12.5/s", "0.52/s", "1.23k/s") -> [value, rounding bound]. */
function shownRate(s) {
	const m = /^([0-9.]+)([kMG]?)\/s$/.exec(s);
	assert.ok(m, `a rate: ${s}`);
	const x = Number(m[1]) * { '': 1, k: 1e3, M: 1e6, G: 1e9 }[m[2]];
	if (m[2]) return [x, x * 0.005 + 1e-9]; // 3 significant digits
	if (x >= 100) return [x, 0.5]; // whole
	if (x >= 1) return [x, 0.005 + 1e-9]; // 2 decimals
	return [x, x * 0.05 + 1e-9]; // 2 significant digits
}

/** "observed 1m5s of 1h" -> 65 (seconds), null when the window is full. */
function shownObserved(s) {
	const m = /^observed ((?:\d+[dhms])+) of (\w+)$/.exec(s);
	if (!m) return null;
	let t = 0;
	for (const [, n, u] of m[1].matchAll(/(\d+)([dhms])/g)) t += Number(n) * { s: 1, m: 60, h: 3600, d: 86400 }[u];
	return t;
}

describe('dashboard', () => {
	let weir, b, page;

	before(async () => {
		weir = await makeWeir();
		weir.append(lines(200));
		weir.append('login failed for bob\n');
		await weir.start();
		await until(async () => (await weir.json('/api/v1/rules/requests')).body?.total === 200, 'requests = 200');
		b = await browser();
		page = await newPage(b);
	});

	after(async () => {
		if (b) await b.close();
		if (weir) await weir.stop();
	});

	it('loads with no console errors and shows every configured rule', async () => {
		const r = await page.goto(weir.url + '/');
		assert.equal(r.status(), 200);
		await page.waitForSelector('.vscroll .vrow[data-rule="requests"]');
		const names = await page.$$eval('.vscroll .vrow:not([hidden])', (rs) => rs.map((r) => r.dataset.rule));
		assert.deepEqual([...names].sort(), [...RULES].sort());
		await until(async () => num((await rowCells(page, 'requests'))[1]) === 200, 'requests total 200 in the page');
		await until(async () => (await page.textContent('#live')) === 'live', 'live state');
		assert.deepEqual(page.errors, []);
	});

	it('a count rises without reload within 2 s of lines being written', async () => {
		const before = num((await rowCells(page, 'errors'))[1]);
		weir.append(lines(40, 1000)); // 10 errors
		const t0 = Date.now();
		await until(async () => num((await rowCells(page, 'errors'))[1]) === before + 10, 'errors +10', 2000, 50);
		assert.ok(Date.now() - t0 <= 2000);
		assert.deepEqual(page.errors, []);
	});

	it('rates are honest on a fresh weir: the 1h row says what it observed and rates over that', async () => {
		const rowOf = (p, sel) =>
			p.evaluate((sel) => {
				const r = document.querySelector(sel);
				return r && [...r.querySelectorAll('td')].map((c) => c.textContent);
			}, sel);
		const check = (count, rate, obsText, where) => {
			const obs = shownObserved(obsText);
			assert.ok(obs !== null && obs >= 1 && obs < 3600, `${where}: observed under 1h: ${obsText}`);
			const [r, tol] = shownRate(rate);
			assert.ok(count > 0);
			assert.ok(Math.abs(r - count / obs) <= tol, `${where}: rate ${rate} = ${count}/${obs}`);
			assert.ok(Math.abs(r - count / 3600) > tol, `${where}: not the count over the whole hour`);
		};
		// the rule's window table (count, rate, observed)
		const p = await newPage(b);
		await p.goto(weir.url + '/#/rule/requests');
		await p.waitForSelector('#rule-windows tr[data-window="1h"]');
		await until(async () => num((await rowOf(p, '#rule-windows tr[data-window="1h"]'))[0]) > 0, 'a 1h count');
		const observed = async () => (await weir.json('/api/v1/snapshot')).body.observed_s['1h'];
		for (let i = 0; i < 3; i++) {
			const lo = await observed();
			const [count, rate, obs] = await rowOf(p, '#rule-windows tr[data-window="1h"]');
			const hi = await observed();
			check(num(count), rate, obs, 'rule 1h row');
			// the page's observed_s is weir's current one (every tick carries it), not a stale snapshot's
			assert.ok(shownObserved(obs) >= lo - 1 && shownObserved(obs) <= hi, `observed ${obs} within weir's ${lo}..${hi}`);
			await p.waitForTimeout(1500); // later ticks: still current, still consistent
		}
		// the overview with the 1h window: count, rate and its "observed" line
		await p.goto(weir.url + '/#/?w=1h');
		await p.waitForSelector('.vscroll .vrow[data-rule="requests"]');
		await until(async () => num((await rowCells(p, 'requests'))[2]) > 0, 'a 1h count in the overview');
		const [count, rate, obs] = await p.evaluate(() => {
			const r = document.querySelector('.vscroll .vrow[data-rule="requests"]');
			return [r.children[2].textContent, r.children[3].firstChild.textContent, r.children[3].lastChild.textContent];
		});
		check(num(count), rate, obs, 'overview 1h row');
		assert.deepEqual(p.errors, []);
		await p.close();
	});

	it('filters by name (/ focuses the filter) and sorts', async () => {
		await page.click('body');
		await page.keyboard.press('/');
		assert.equal(await page.evaluate(() => document.activeElement.id), 'filter');
		await page.keyboard.type('auth');
		await until(async () => {
			const n = await page.$$eval('.vscroll .vrow:not([hidden])', (rs) => rs.map((r) => r.dataset.rule));
			return n.length === 1 && n[0] === 'auth.failed';
		}, 'only auth.failed');
		assert.match(await page.evaluate(() => location.hash), /q=auth/);
		await page.fill('#filter', '');
		await until(async () => (await page.$$('.vscroll .vrow:not([hidden])')).length === RULES.length, 'all rows back');

		const order = () =>
			page.$$eval('.vscroll .vrow:not([hidden])', (rs) =>
				rs.sort((a, b) => a.getAttribute('aria-rowindex') - b.getAttribute('aria-rowindex')).map((r) => r.dataset.rule)
			);
		await page.click('button[data-sort="name"]');
		await until(async () => JSON.stringify(await order()) === JSON.stringify([...RULES].sort()), 'name ascending');
		await page.click('button[data-sort="name"]');
		await until(async () => JSON.stringify(await order()) === JSON.stringify([...RULES].sort().reverse()), 'name descending');
		await page.click('button[data-sort="total"]');
		await until(async () => (await order())[0] === 'requests' && (await order()).at(-1) === 'zeta', 'total descending');
		assert.match(await page.evaluate(() => location.hash), /sort=total/);
	});

	it('light and dark screenshots of the overview', async () => {
		for (const scheme of ['light', 'dark']) {
			await page.emulateMedia({ colorScheme: scheme });
			await page.waitForTimeout(300); // let a frame draw the sparklines in the new colours
			await page.screenshot({ path: join(OUT, `overview-${scheme}.png`) });
		}
		await page.emulateMedia({ colorScheme: 'light' });
	});

	it("a rule's detail shows its chart, top keys and samples; back returns", async () => {
		await page.click('.vrow[data-rule="requests"] a.rname');
		await page.waitForSelector('#rule-title');
		assert.equal(await page.textContent('#rule-title'), 'requests');
		await page.waitForSelector('#rule-chart .uplot canvas');
		await page.waitForSelector('#rule-topk tbody tr');
		const keys = await page.$$eval('#rule-topk a.key', (as) => as.map((a) => a.textContent));
		assert.deepEqual([...keys].sort(), ['10.0.0.0', '10.0.0.1', '10.0.0.2', '10.0.0.3', '10.0.0.4']);
		assert.match(await page.textContent('#rule-quantiles'), /p50/);
		assert.match(await page.textContent('#rule-distinct'), /≈ 13/);
		assert.match(await page.textContent('#rule-def'), /path=/);
		// A worker keeps the first samples.keep (20) matches of each pane, so
		// a burst of at most 20 lines is kept whole: the page shows exactly
		// these lines, newest first, above the older ones.
		const burst = lines(12, 5000).trim().split('\n');
		weir.append(burst.join('\n') + '\n');
		const want = [...burst].reverse();
		const shownLines = () => page.$$eval('#rule-samples code.line', (cs) => cs.map((c) => c.textContent));
		await until(async () => JSON.stringify((await shownLines()).slice(0, want.length)) === JSON.stringify(want), 'the burst, newest first, at the top of the samples');
		// a top key filters the samples (?key=): that key's lines of the burst first, newest first, and no other key
		const want3 = want.filter((l) => l.endsWith(' ip=10.0.0.3'));
		assert.ok(want3.length >= 2);
		await page.click('#rule-topk a.key >> text=10.0.0.3');
		await until(async () => {
			const shown = await shownLines();
			return JSON.stringify(shown.slice(0, want3.length)) === JSON.stringify(want3) && shown.every((l) => l.endsWith(' ip=10.0.0.3'));
		}, 'samples of key 10.0.0.3 only, newest first');
		assert.match(await page.evaluate(() => location.hash), /key=10\.0\.0\.3/);
		assert.match(await page.textContent('#rule-samples-head'), /ip is “10\.0\.0\.3”/);
		// the definition: fields as written, nothing null or empty
		const def = await page.textContent('#rule-def');
		for (const want of ['matchpath=', 'valuert in s', 'topip (k = 5)', 'distinctuser', 'defined at']) assert.ok(def.includes(want), `${want} in ${def}`);
		assert.doesNotMatch(def, /null|\[\]|\(none\)|flags|where|time/);
		// the quantile chart has today's times on its x axis and the 10s window's values
		await page.locator('#rule-qchart').scrollIntoViewIfNeeded();
		const box = await page.locator('#rule-qchart .u-over').boundingBox();
		const legend = () => page.$$eval('#rule-qchart .u-legend .u-value', (vs) => vs.map((v) => v.textContent));
		const shown = await until(async () => {
			for (let f = 0.98; f > 0.02; f -= 0.08) {
				await page.mouse.move(box.x + box.width * f, box.y + box.height / 2);
				const l = await legend();
				if (/^\d+(\.\d+)? ms$/.test(l[1])) return l;
			}
			return null;
		}, 'a p50 in the quantile chart');
		const now = new Date();
		const [, y, mo, d] = /^(\d{4})-(\d\d)-(\d\d) /.exec(shown[0]) || [];
		assert.deepEqual([Number(y), Number(mo), Number(d)], [now.getFullYear(), now.getMonth() + 1, now.getDate()], `today on the x axis: ${shown[0]}`);
		const ms = (t) => Number(t.replace(' ms', ''));
		assert.ok(ms(shown[1]) <= ms(shown[2]) && ms(shown[2]) <= ms(shown[3]) && ms(shown[3]) < 1000, `p50 <= p90 <= p99 < 1 s: ${shown}`);
		await page.mouse.move(0, 0);
		for (const scheme of ['light', 'dark']) {
			await page.emulateMedia({ colorScheme: scheme });
			await page.waitForTimeout(300);
			await page.screenshot({ path: join(OUT, `rule-${scheme}.png`), fullPage: true });
		}
		await page.emulateMedia({ colorScheme: 'light' });
		await page.goBack(); // the key's filter off
		await until(async () => !/key=/.test(await page.evaluate(() => location.hash)) && /Newest first/.test(await page.textContent('#rule-samples-head')), 'all samples again');
		await page.goBack();
		await page.waitForSelector('.vscroll .vrow[data-rule="requests"]');
		assert.deepEqual(page.errors, []);
	});

	it('a deep link restores the view', async () => {
		const p2 = await newPage(b);
		await p2.goto(weir.url + '/#/rule/requests?range=1h&w=10s');
		await p2.waitForSelector('#rule-chart .uplot');
		assert.equal(await p2.textContent('#rule-title'), 'requests');
		assert.equal(await p2.getAttribute('.segb[aria-current="true"]', 'data-range'), '1h');
		await p2.goto(weir.url + '/#/?q=s&sort=name&dir=desc&w=10s');
		await p2.waitForSelector('.vscroll .vrow[data-rule="errors"]');
		assert.equal(await p2.inputValue('#filter'), 's');
		assert.equal(await p2.inputValue('#window'), '10s');
		await until(async () => {
			const n = await p2.$$eval('.vscroll .vrow:not([hidden])', (rs) =>
				rs.sort((a, b) => a.getAttribute('aria-rowindex') - b.getAttribute('aria-rowindex')).map((r) => r.dataset.rule)
			);
			return JSON.stringify(n) === JSON.stringify(['slow', 'requests', 'errors']);
		}, 'filtered, sorted by name descending');
		await p2.goto(weir.url + '/#/sources');
		await p2.waitForSelector('[data-source="app"] table');
		assert.match(await p2.textContent('[data-source="app"]'), new RegExp(weir.log.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')));
		await p2.screenshot({ path: join(OUT, 'sources-light.png'), fullPage: true });
		assert.deepEqual(p2.errors, []);
		await p2.close();
	});

	it('is readable on a phone: no sideways scroll, rules listed', async () => {
		const p = await newPage(b, { viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true });
		await p.goto(weir.url + '/#/');
		await p.waitForSelector('.vscroll .vrow[data-rule="requests"]');
		const over = await p.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
		assert.ok(over <= 0, `the page is ${over}px wider than the phone`);
		await p.screenshot({ path: join(OUT, 'overview-phone.png') });
		await p.goto(weir.url + '/#/rule/requests');
		await p.waitForSelector('#rule-chart .uplot');
		await p.waitForSelector('#rule-quantiles');
		const over2 = await p.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
		assert.ok(over2 <= 0, `the rule's page is ${over2}px wider than the phone`);
		await p.screenshot({ path: join(OUT, 'rule-phone.png'), fullPage: true });
		assert.deepEqual(p.errors, []);
		await p.close();
	});

	it('hostile bytes in a top key and a line are shown as text', async () => {
		const evil = [
			'level=error path=/x ip="<img src=x onerror=window.__pwned=1>" rt=0.1 user=e1 msg="<script>window.__pwned=2</script>"\n',
			'level=error path=/x ip="<script>window.__pwned=3</script>" rt=0.1 user=e2\n',
			Buffer.from('level=error path=/x ip=bad\xff\xfe\x1b[31mred rt=0.1 user=e3\n', 'latin1'),
		];
		for (const e of evil) weir.append(e);
		await until(async () => {
			const t = (await weir.json('/api/v1/rules/requests?window=10s')).body;
			return t && t.aggregates.top.items.some((i) => i.value.startsWith('<img'));
		}, 'hostile key in the top-K', 5000);
		const p = await newPage(b);
		await p.goto(weir.url + '/#/rule/requests?w=10s');
		await p.waitForSelector('#rule-topk a.key');
		await until(async () => (await p.$$eval('#rule-topk a.key', (as) => as.map((a) => a.textContent))).includes('<img src=x onerror=window.__pwned=1>'), 'the key as text');
		const keys = await p.$$eval('#rule-topk a.key', (as) => as.map((a) => a.textContent));
		assert.ok(keys.includes('<script>window.__pwned=3</script>'), keys.join(' | '));
		assert.ok(keys.some((k) => k.startsWith('bad\ufffd')), keys.join(' | '));
		await until(async () => (await p.textContent('#rule-samples')).includes('<script>window.__pwned=2</script>'), 'the hostile line as text');
		// ESC shown as its control picture, invalid UTF-8 as U+FFFD
		await until(async () => (await p.textContent('#rule-samples')).includes('ip=bad\ufffd\ufffd\u241b[31mred'), 'the ESC line, visible');
		const injected = await p.evaluate(() => ({
			pwned: window.__pwned,
			imgs: document.querySelectorAll('img').length,
			scripts: [...document.scripts].filter((s) => !s.src).length,
		}));
		assert.deepEqual(injected, { pwned: undefined, imgs: 0, scripts: 0 });
		await p.screenshot({ path: join(OUT, 'hostile-light.png'), fullPage: true });
		assert.deepEqual(p.errors, []);
		await p.close();
	});

	it('recovers after weir restarts', async () => {
		await page.goto(weir.url + '/#/');
		await until(async () => (await page.textContent('#live')) === 'live', 'live');
		await weir.stop();
		await until(async () => ['stale', 'reconnecting'].includes(await page.textContent('#live')), 'not live once weir is gone', 5000);
		await weir.start();
		const before = num((await rowCells(page, 'auth.failed'))[1]);
		await until(async () => (await page.textContent('#live')) === 'live', 'live again', 15000);
		weir.append('login failed for eve\n');
		await until(async () => num((await rowCells(page, 'auth.failed'))[1]) === before + 1, 'a new count after the restart', 5000);
		// the browser logs the refused reconnects as errors; nothing else may fail
		assert.deepEqual(page.errors.filter((e) => !/ERR_CONNECTION_REFUSED|Failed to load resource|EventSource/.test(e)), []);
	});
});
