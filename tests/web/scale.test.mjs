// scale.test.mjs - the dashboard with 1,000 rules (a generated config):
// the overview lists them all but keeps only the rows on screen in the DOM
// (virtualised), scrolls to the last, and filters; a tick redraws only the
// sparklines whose data changed (tests/bench/README.md: the TICK BAR); and
// a rule's definition card shows its where: conditions as written.

import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { makeWeir, browser, newPage, until, OUT } from './harness.mjs';

const N = 1000;
const name = (i) => 'r' + String(i).padStart(4, '0');

function rules() {
	let s = `rules:
  - name: ${name(0)}
    where: {status: ">=500", method: [GET, HEAD]}
`;
	for (let i = 1; i < N; i++) s += `  - name: ${name(i)}\n    match: 'k=${name(i)} '\n`;
	return s;
}

const shownRows = (page) =>
	page.$$eval('.vscroll .vrow:not([hidden])', (rs) => {
		const box = document.querySelector('.vscroll').getBoundingClientRect();
		return rs
			.filter((r) => {
				const b = r.getBoundingClientRect();
				return b.bottom > box.top && b.top < box.bottom; // on screen, not overscan
			})
			.sort((a, b) => a.getAttribute('aria-rowindex') - b.getAttribute('aria-rowindex'))
			.map((r) => r.dataset.rule);
	});

describe('1,000 rules', () => {
	let weir, b, page;

	before(async () => {
		weir = await makeWeir({ rules: rules() });
		weir.append('method=GET status=503 path=/a\nmethod=POST status=500 path=/b\nmethod=HEAD status=404 path=/c\nk=r0999 x\n');
		await weir.start();
		await until(async () => (await weir.json('/api/v1/rules/r0000')).body?.total === 1, 'r0000 = 1');
		b = await browser();
		page = await newPage(b);
	});

	after(async () => {
		if (b) await b.close();
		if (weir) await weir.stop();
	});

	it('lists all 1000, with a bounded number of rows in the DOM', async () => {
		await page.goto(weir.url + '/#/?sort=name');
		await until(async () => (await page.textContent('#rule-count')) === '1000 of 1000 rules', '1000 of 1000 rules');
		assert.deepEqual((await shownRows(page)).slice(0, 3), [name(0), name(1), name(2)]);
		const inDom = await page.$$eval('.vscroll .vrow', (rs) => rs.length);
		assert.ok(inDom > 0 && inDom < 120, `${inDom} row elements in the DOM`);
		await page.screenshot({ path: join(OUT, 'overview-1000-light.png') });
	});

	it('scrolls to the last rule', async () => {
		await page.$eval('.vscroll', (s) => (s.scrollTop = s.scrollHeight));
		await until(async () => (await shownRows(page)).at(-1) === name(N - 1), 'the last rule on screen');
		const inDom = await page.$$eval('.vscroll .vrow', (rs) => rs.length);
		assert.ok(inDom < 120, `${inDom} row elements in the DOM after scrolling`);
		assert.equal((await page.$$eval('.vscroll .vrow[data-rule="r0999"] .c-total', (cs) => cs.map((c) => c.textContent)))[0], '1');
	});

	it('the filter narrows the list', async () => {
		await page.fill('#filter', 'r099');
		await until(async () => (await page.textContent('#rule-count')) === '10 of 1000 rules', '10 of 1000 rules');
		const want = Array.from({ length: 10 }, (_, i) => name(990 + i));
		let seen = [];
		await until(async () => JSON.stringify((seen = await shownRows(page))) === JSON.stringify(want), 'r0990 ... r0999').catch((e) => {
			throw new Error(e.message + ' shown: ' + seen.join(' '));
		});
		assert.deepEqual(page.errors, []);
	});

	it('a tick redraws only the sparklines whose data changed, and is measured', async () => {
		const p = await newPage(b);
		await p.goto(weir.url + '/#/?sort=name');
		await until(async () => (await shownRows(p))[0] === name(0), 'r0000 first');
		// r0000 has a match in the last 15 minutes, r0001... on screen have none
		await until(async () => p.$$eval('.vscroll .vrow:not([hidden])', (rs) => rs.length >= 13), 'rows on screen');
		const ticks = () => p.evaluate(() => performance.getEntriesByName('weir-tick').length);
		await until(async () => (await ticks()) >= 1, 'a first tick drawn');
		// count each sparkline's draws (drawSpark takes its canvas's 2d context once a draw)
		await p.evaluate(() => {
			window.sparkDraws = new Map();
			const get = HTMLCanvasElement.prototype.getContext;
			HTMLCanvasElement.prototype.getContext = function (...a) {
				const row = this.closest('.vrow');
				if (row && this.classList.contains('spark')) window.sparkDraws.set(row.dataset.rule, (window.sparkDraws.get(row.dataset.rule) || 0) + 1);
				return get.apply(this, a);
			};
		});
		const from = await ticks();
		await until(async () => (await ticks()) >= from + 3, '3 more ticks drawn', 15000);
		const n = (await ticks()) - from;
		const draws = Object.fromEntries(await p.evaluate(() => [...window.sparkDraws]));
		const empty = Object.keys(draws).filter((r) => r !== name(0));
		assert.deepEqual(empty, [], `sparklines of rules with no data redrawn: ${JSON.stringify(draws)}`);
		// r0000's (data in the window) at most once a tick drawn, plus its
		// backfill's arrival and a snapshot refresh's frame; none when its
		// backfill is still on the way on a busy machine (drawn empty once)
		assert.ok((draws[name(0)] || 0) <= n + 2, `r0000's sparkline drawn ${draws[name(0)]} times in ${n} ticks`);
		const m = await p.evaluate(() => performance.getEntriesByName('weir-tick').map((e) => e.detail));
		assert.ok(m.every((d) => d.work >= d.apply && d.apply >= 0), JSON.stringify(m.slice(-3)));
		assert.deepEqual(p.errors, []);
		await p.close();
	});

	it("a rule's where: conditions read as written", async () => {
		await page.goto(weir.url + '/#/rule/' + name(0));
		await until(async () => (await page.$$eval('#rule-def code.where', (cs) => cs.length)) === 2, 'two where conditions');
		const conds = await page.$$eval('#rule-def code.where', (cs) => cs.map((c) => c.textContent));
		assert.deepEqual(conds.sort(), ['method = GET | HEAD', 'status >= 500']);
		const def = await page.textContent('#rule-def');
		assert.doesNotMatch(def, /null|\[\]|\(none\)|match|flags|value|top|distinct/);
		await page.locator('#rule-def').screenshot({ path: join(OUT, 'definition-light.png') });
		assert.deepEqual(page.errors, []);
	});
});
