// login.test.mjs - the dashboard against a weir that wants its token for
// reads (http: {token_file, auth_reads: true}): the token form, a wrong
// token refused, the right one loading the data with the stream live on
// the session cookie, a reload staying signed in, and "Sign out".

import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { makeWeir, browser, newPage, until, rowCells, OUT } from './harness.mjs';

const TOKEN = 'web-test-token-0123456789abcdef';

// the browser logs every 401 it receives as a console error: the wrong
// token's login (expected here) and the reads refused after a sign-out
const refused = (e) => / 401 /.test(e) && /\/api\/v1\//.test(e);

describe('login', () => {
	let weir, b, page;

	before(async () => {
		const tdir = mkdtempSync(join(tmpdir(), 'weir-web-token-'));
		const tf = join(tdir, 'token');
		writeFileSync(tf, TOKEN + '\n', { mode: 0o600 });
		weir = await makeWeir({ http: `{token_file: ${tf}, auth_reads: true}` });
		weir.append('level=error path=/a status=500 rt=0.2 user=u1 ip=10.0.0.1\n');
		await weir.start();
		b = await browser();
		page = await newPage(b);
	});

	after(async () => {
		if (b) await b.close();
		if (weir) await weir.stop();
	});

	it('shows the token form, refuses a wrong token, signs in with the right one', async () => {
		assert.equal((await weir.json('/api/v1/snapshot')).status, 401); // reads are closed
		await page.emulateMedia({ colorScheme: 'light' });
		await page.goto(weir.url + '/');
		await page.waitForSelector('form.login #token');
		assert.equal(await page.textContent('#live'), 'signed out');
		assert.equal(await page.isVisible('#logout'), false);
		assert.equal(await page.$('.vscroll .vrow'), null);
		await page.screenshot({ path: join(OUT, 'login-light.png') });

		await page.fill('#token', 'not-the-token-0123456789');
		await page.click('form.login button[type=submit]');
		await until(async () => (await page.textContent('form.login .error')) === 'That token is not valid.', 'the wrong-token error');
		assert.equal(await page.$('.vscroll .vrow'), null);

		await page.fill('#token', TOKEN);
		await page.click('form.login button[type=submit]');
		await page.waitForSelector('.vscroll .vrow[data-rule="requests"]');
		await until(async () => (await rowCells(page, 'errors'))?.[1] === '1', 'errors total 1');
		await until(async () => (await page.textContent('#live')) === 'live', 'the stream live');
		assert.equal(await page.isVisible('#logout'), true);
		// the stream carries the session: a new line counts without a reload
		weir.append('level=error path=/b status=500 rt=0.3 user=u2 ip=10.0.0.2\n');
		await until(async () => (await rowCells(page, 'errors'))?.[1] === '2', 'errors total 2 from the stream', 5000);
		const session = await page.evaluate(async () => (await fetch('/api/v1/session')).json());
		assert.deepEqual(session, { auth_reads: true, authenticated: true });
		assert.deepEqual(page.errors.filter((e) => !refused(e)), []);
	});

	it('stays signed in across a reload', async () => {
		await page.reload();
		await page.waitForSelector('.vscroll .vrow[data-rule="errors"]');
		assert.equal(await page.$('form.login'), null);
		await until(async () => (await page.textContent('#live')) === 'live', 'the stream live after the reload');
		await until(async () => (await rowCells(page, 'errors'))?.[1] === '2', 'errors total 2 after the reload');
	});

	it('signs out: the cookie is cleared and the form comes back', async () => {
		await page.click('#logout');
		await page.waitForSelector('form.login #token');
		assert.equal(await page.textContent('#live'), 'signed out');
		assert.equal(await page.isVisible('#logout'), false);
		const session = await page.evaluate(async () => (await fetch('/api/v1/session')).json());
		assert.deepEqual(session, { auth_reads: true, authenticated: false });
		await page.reload();
		await page.waitForSelector('form.login #token');
		assert.deepEqual(page.errors.filter((e) => !refused(e)), []);
	});
});
