// The login form: posts the user and password to /api/login with the
// header only this page sets (the server refuses a login without it, so a
// form on another site cannot log a browser in), then opens the station.
'use strict';

document.addEventListener('DOMContentLoaded', () => {
  const form = document.getElementById('login-form');
  const error = document.getElementById('login-error');
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    error.textContent = '';
    const button = document.getElementById('login-button');
    button.disabled = true;
    try {
      const body = new URLSearchParams({
        user: document.getElementById('user').value,
        password: document.getElementById('password').value,
      });
      const r = await fetch('/api/login', {
        method: 'POST',
        credentials: 'same-origin',
        headers: {'Content-Type': 'application/x-www-form-urlencoded', 'X-Requested-With': 'vitals-web'},
        body,
      });
      const reply = await r.json().catch(() => ({ok: false, error: 'no answer from the server'}));
      if (r.ok && reply.ok) {
        window.location.assign('/');
        return;
      }
      error.textContent = reply.error || ('refused (' + r.status + ')');
      document.getElementById('password').value = '';
    } catch (e) {
      error.textContent = 'the server cannot be reached';
    } finally {
      button.disabled = false;
    }
  });
});
