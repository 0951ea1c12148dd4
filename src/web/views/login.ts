import { ApiError } from '../api.js';
import { appConfig } from '../config.js';
import { h, uid } from '../dom.js';
import { t } from '../i18n/index.js';
import { login } from '../session.js';
import { heading, type View, type ViewContext } from './view.js';

/** Anmelden: POST /api/auth/login; the server sets the HttpOnly session cookie. */
export function loginView(ctx: ViewContext): View {
  const userId = uid('user');
  const passId = uid('pass');
  const user = h('input', { id: userId, name: 'username', type: 'text', autocomplete: 'username', required: true, autocapitalize: 'none', spellcheck: 'false' });
  const pass = h('input', { id: passId, name: 'password', type: 'password', autocomplete: 'current-password', required: true });
  const error = h('p', { class: 'field-error', role: 'alert' });
  const submit = h('button', { type: 'submit', class: 'primary' }, t('login.submit'));
  const form = h(
    'form',
    {
      class: 'login-form',
      novalidate: true,
      onsubmit: (e: Event) => {
        e.preventDefault();
        void send();
      },
    },
    h('div', { class: 'field' }, h('label', { for: userId }, t('login.username')), user),
    h('div', { class: 'field' }, h('label', { for: passId }, t('login.password')), pass),
    error,
    h('div', { class: 'actions' }, submit),
  );
  async function send() {
    error.textContent = '';
    if (!user.value.trim() || !pass.value) {
      error.textContent = t('login.missing');
      (user.value.trim() ? pass : user).focus();
      return;
    }
    submit.disabled = true;
    try {
      await login(user.value.trim(), pass.value);
      const next = sessionStorage.getItem('stadtpuls.next');
      sessionStorage.removeItem('stadtpuls.next');
      ctx.navigate(next ?? '/');
    } catch (err) {
      const e = err as ApiError;
      error.textContent = e.status === 401 ? t('login.wrong') : e.status === 429 ? t('login.throttled') : t('login.failed', { message: e.message });
      pass.value = '';
      pass.focus();
    } finally {
      submit.disabled = false;
    }
  }
  const demo = appConfig().demo
    ? h('p', { class: 'notice' }, t('login.demo', { users: 'viewer, enforcement, facility, technician, admin', password: 'stadtpuls-demo' }))
    : null;
  queueMicrotask(() => user.focus());
  return {
    title: t('login.title'),
    el: h('section', { 'data-view': 'login' }, heading(t('login.title')), h('p', { class: 'intro' }, t('login.intro')), demo, form, h('p', null, h('a', { href: '#/oeffentlich' }, t('login.toPublic')))),
  };
}
