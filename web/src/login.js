// login.js - the token form, shown when weir wants a token for reads
// (/api/v1/session says auth_reads and not authenticated) or when a call
// answers 401. The token goes to POST /api/v1/login, which sets an
// HttpOnly cookie; the page never stores it.

import { h, replace, setText } from './dom.js';
import { api } from './api.js';

/** Show the form in root until a login succeeds; resolves then. */
export function askToken(root) {
	return new Promise((resolve) => {
		const input = h('input', { type: 'password', id: 'token', name: 'token', autocomplete: 'current-password', required: true });
		const msg = h('p', { class: 'error', role: 'alert' });
		const form = h(
			'form',
			{ class: 'card login', 'aria-labelledby': 'login-title' },
			h('h1', { id: 'login-title' }, 'Sign in to weir'),
			h('p', null, 'This weir needs its token to show data (http: auth_reads).'),
			h('label', { for: 'token' }, 'Token'),
			input,
			h('button', { type: 'submit' }, 'Sign in'),
			msg
		);
		form.addEventListener('submit', async (e) => {
			e.preventDefault();
			setText(msg, '');
			try {
				await api.login(input.value);
				resolve();
			} catch (err) {
				setText(msg, err.status === 401 || err.status === 403 ? 'That token is not valid.' : 'Sign-in failed: ' + err.message);
				input.select();
			}
		});
		replace(root, form);
		input.focus();
	});
}
