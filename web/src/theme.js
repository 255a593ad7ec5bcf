// theme.js - light and dark. The page follows prefers-color-scheme until
// the toggle picks one (auto -> light -> dark -> auto), remembered in
// localStorage. Colours live in CSS variables (app.css); charts read them
// through color() (cached: reading a computed style after a DOM write
// would force a style recalculation every frame) and redraw on onTheme().

const KEY = 'weir.theme';
const order = ['auto', 'light', 'dark'];
const listeners = new Set();
const colors = new Map(); // CSS variable -> its value under the current theme
const media = window.matchMedia('(prefers-color-scheme: dark)');

function current() {
	try {
		const t = localStorage.getItem(KEY);
		return order.includes(t) ? t : 'auto';
	} catch {
		return 'auto';
	}
}

function apply(button) {
	const t = current();
	if (t === 'auto') delete document.documentElement.dataset.theme;
	else document.documentElement.dataset.theme = t;
	if (button) button.textContent = 'Theme: ' + t;
	colors.clear();
	for (const fn of listeners) fn();
}

export function initTheme(button) {
	apply(button);
	button.addEventListener('click', () => {
		const next = order[(order.indexOf(current()) + 1) % order.length];
		try {
			localStorage.setItem(KEY, next);
		} catch {
			/* private mode: the choice lasts this page only */
		}
		apply(button);
	});
	media.addEventListener('change', () => apply(button));
}

export function onTheme(fn) {
	listeners.add(fn);
}

/** A CSS variable's value ("--accent") as the page now shows it. */
export function color(name) {
	let c = colors.get(name);
	if (c === undefined) {
		c = getComputedStyle(document.documentElement).getPropertyValue(name).trim();
		if (c) colors.set(name, c); // empty: the style sheet is not in yet
	}
	return c;
}
