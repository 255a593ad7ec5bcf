// url.js - the view lives in the URL's hash, so a link restores it and
// back/forward move between views:
//   #/                      the rules overview
//   #/rule/NAME             one rule
//   #/sources               the sources
// with query parameters after '?': w (window), range (rule chart), q (name
// filter), pack (definition file), sort, dir (asc|desc), key (samples of
// one top key). Navigation pushes a history entry; typing in the filter
// replaces the current one.

const listeners = new Set();

/** The current view: {page, rule, w, range, q, pack, sort, dir, key}. */
export function parse(hash = location.hash) {
	const s = hash.replace(/^#/, '');
	const qi = s.indexOf('?');
	const path = qi < 0 ? s : s.slice(0, qi);
	const params = new URLSearchParams(qi < 0 ? '' : s.slice(qi + 1));
	const v = { page: 'overview', rule: null };
	const m = /^\/rule\/(.+)$/.exec(path);
	if (m) {
		v.page = 'rule';
		try {
			v.rule = decodeURIComponent(m[1]);
		} catch {
			v.rule = m[1];
		}
	} else if (path === '/sources') v.page = 'sources';
	for (const k of ['w', 'range', 'q', 'pack', 'sort', 'dir', 'key']) v[k] = params.get(k);
	return v;
}

/** The hash for a view (empty parameters left out). */
export function format(v) {
	let path = '/';
	if (v.page === 'rule' && v.rule !== null && v.rule !== undefined) path = '/rule/' + encodeURIComponent(v.rule);
	else if (v.page === 'sources') path = '/sources';
	const p = new URLSearchParams();
	for (const k of ['w', 'range', 'q', 'pack', 'sort', 'dir', 'key'])
		if (v[k] !== null && v[k] !== undefined && v[k] !== '') p.set(k, v[k]);
	const q = p.toString();
	return '#' + path + (q ? '?' + q : '');
}

export function view() {
	return parse();
}

/** Change the view: patch merges into the current one. replace: no new history entry. */
export function go(patch, { replace = false } = {}) {
	const next = { ...parse(), ...patch };
	const hash = format(next);
	if (hash === location.hash) return;
	if (replace) history.replaceState(null, '', hash);
	else history.pushState(null, '', hash);
	notify();
}

/** A link's href for a view (for <a>, so middle-click and copy work). */
export function href(patch) {
	return format({ ...parse(), ...patch });
}

export function onChange(fn) {
	listeners.add(fn);
}

function notify() {
	const v = parse();
	for (const fn of listeners) fn(v);
}

window.addEventListener('popstate', notify);
window.addEventListener('hashchange', notify);
