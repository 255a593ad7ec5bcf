// dom.js - the one way the page makes elements. Data (rule names, keys,
// log lines: any bytes a log held) only ever becomes text: h() sets
// children as text nodes and attributes with setAttribute, and nothing in
// the page assigns innerHTML, outerHTML or insertAdjacentHTML.

/**
 * h('div', {class: 'x', onclick: fn, 'aria-label': 'y'}, 'text', child...)
 * Attributes whose value is null/undefined/false are left out; `on*`
 * keys add listeners; strings and numbers become text nodes.
 */
export function h(tag, attrs, ...children) {
	const el = document.createElement(tag);
	if (attrs) {
		for (const [k, v] of Object.entries(attrs)) {
			if (v === null || v === undefined || v === false) continue;
			if (k.startsWith('on') && typeof v === 'function') el.addEventListener(k.slice(2), v);
			else if (k === 'text') el.textContent = String(v);
			else el.setAttribute(k, v === true ? '' : String(v));
		}
	}
	append(el, children);
	return el;
}

function append(el, children) {
	for (const c of children) {
		if (c === null || c === undefined || c === false) continue;
		if (Array.isArray(c)) append(el, c);
		else if (c instanceof Node) el.appendChild(c);
		else el.appendChild(document.createTextNode(String(c)));
	}
}

/** Replace el's children with the given ones. */
export function replace(el, ...children) {
	el.replaceChildren();
	append(el, children);
	return el;
}

/** Set text only when it changed (cheap repeated updates). */
export function setText(el, s) {
	s = String(s);
	if (el.textContent !== s) el.textContent = s;
}
