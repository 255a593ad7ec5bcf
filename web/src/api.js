// api.js - every HTTP call the page makes, same origin only. JSON in and
// out; the browser's cache revalidates with the ETags weir sends (so a
// body polled faster than the tick comes back as 304). A 401 anywhere
// means the session is gone: onAuthLost listeners bring the token form
// back (login.js). The page is compiled into the weir that serves it, so
// every endpoint it calls exists; a 404 means the rule is gone.

export class HttpError extends Error {
	constructor(status, message) {
		super(message);
		this.status = status;
	}
}

const authLost = new Set();
export function onAuthLost(fn) {
	authLost.add(fn);
}
export function authFailed() {
	for (const fn of authLost) fn();
}

async function request(path, opts = {}) {
	const r = await fetch(path, {
		credentials: 'same-origin',
		cache: 'no-cache',
		headers: { Accept: 'application/json', ...(opts.body ? { 'Content-Type': 'application/json' } : {}) },
		...opts,
	});
	if (r.status === 401 && !opts.noAuthEvent) authFailed();
	return r;
}

async function failure(r) {
	let msg = r.status + ' ' + r.statusText;
	try {
		const b = await r.json();
		if (b && b.error && b.error.message) msg = b.error.message;
	} catch {
		/* not JSON */
	}
	return new HttpError(r.status, msg);
}

/** GET path as JSON; throws HttpError on any status but 2xx. */
export async function getJSON(path, opts) {
	const r = await request(path, opts);
	if (!r.ok) throw await failure(r);
	return r.json();
}

const enc = encodeURIComponent;

export const api = {
	snapshot: () => getJSON('/api/v1/snapshot'),
	stats: () => getJSON('/api/v1/stats'),
	sources: () => getJSON('/api/v1/sources'),
	rules: () => getJSON('/api/v1/rules'),
	rule: (name) => getJSON('/api/v1/rules/' + enc(name)),
	series: (name, range, step) =>
		getJSON('/api/v1/series/' + enc(name) + '?range=' + enc(range) + (step ? '&step=' + enc(step) : '')),
	/** Newest first: {rule, key, limit, samples: [{t_ms, source, line, truncated, key}]}. */
	samples(name, key, limit = 50) {
		let q = '?limit=' + limit;
		if (key !== null && key !== undefined) q += '&key=' + enc(key);
		return getJSON('/api/v1/rules/' + enc(name) + '/samples' + q);
	},
	/** {auth_reads, authenticated}: whether reads need the token, and whether this browser has it. */
	async session() {
		const r = await request('/api/v1/session', { noAuthEvent: true });
		if (!r.ok) throw await failure(r);
		return r.json();
	},
	async login(token) {
		const r = await request('/api/v1/login', { method: 'POST', body: JSON.stringify({ token }), noAuthEvent: true });
		if (r.status !== 204 && !r.ok) throw await failure(r);
	},
	async logout() {
		await request('/api/v1/logout', { method: 'POST', noAuthEvent: true });
	},
};
