// login.js - the token form, shown when weir wants a token for reads
// (/api/v1/session says auth_reads and not authenticated) or when a call
// answers 401. The token goes to POST /api/v1/login, which sets an
// HttpOnly cookie; the page never stores it. The header's "Sign out"
// (shown while a session is in use: auth_reads) posts /api/v1/logout,
// which clears the cookie, and brings the form back.

import { h, replace, setText } from './dom.js';
import { api, authFailed } from './api.js';

const logoutBtn = document.getElementById('logout');
if (logoutBtn)
	logoutBtn.addEventListener('click', async () => {
		try {
			await api.logout();
		} finally {
			authFailed(); // the form again (main.js stops the stream)
		}
	});

/** Show "Sign out" when this page reads with a session ({auth_reads} of /api/v1/session). */
export function showSession(s) {
	if (logoutBtn) logoutBtn.hidden = !(s && s.auth_reads);
}

/** Show the form in root until a login succeeds; resolves then. */
export function askToken(root) {
	showSession(null);
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
