/**
 * Stadtpuls web app: the shell (header, navigation by role, language, live status), the hash router and the
 * session. Views live in views/; every string in i18n/{de,en}.ts.
 */
import './style.css';
import type { Role } from '../auth/roles.js';
import { setUnauthorizedHandler } from './api.js';
import { loadConfig } from './config.js';
import { h, replace } from './dom.js';
import { getLang, onLangChange, roleLabel, setLang, t } from './i18n/index.js';
import { live, publicLive } from './live.js';
import { PALETTE } from './palette.js';
import { allowed, currentUser, forgetSession, loadSession, logout, type User } from './session.js';
import { deviceDetailView, devicesView } from './views/devices.js';
import { deviceFormView } from './views/device-form.js';
import { energyView } from './views/energy.js';
import { forbiddenView, notFoundView } from './views/forbidden.js';
import { importView } from './views/import.js';
import { levelsView } from './views/levels.js';
import { loginView } from './views/login.js';
import { parkingView } from './views/parking.js';
import { publicView } from './views/public.js';
import type { RouteSpec, View } from './views/view.js';

const EUI = '([0-9a-fA-F]{16})';

export const ROUTES: readonly RouteSpec[] = [
  { id: 'energie', pattern: /^\/energie$/, roles: ['facility', 'viewer', 'technician'], nav: 'nav.energy', render: energyView },
  { id: 'parken', pattern: /^\/parken$/, roles: ['enforcement', 'technician'], nav: 'nav.parking', render: parkingView },
  { id: 'pegel', pattern: /^\/pegel$/, roles: ['technician', 'facility'], nav: 'nav.levels', render: levelsView },
  { id: 'geraete', pattern: /^\/geraete$/, roles: ['technician'], nav: 'nav.devices', render: devicesView },
  { id: 'geraete-neu', pattern: /^\/geraete\/neu$/, roles: ['technician'], section: 'geraete', render: deviceFormView },
  { id: 'geraete-import', pattern: /^\/geraete\/import$/, roles: ['technician'], section: 'geraete', render: importView },
  { id: 'geraet-bearbeiten', pattern: new RegExp(`^/geraete/${EUI}/bearbeiten$`), roles: ['technician'], section: 'geraete', render: deviceFormView },
  { id: 'geraet', pattern: new RegExp(`^/geraete/${EUI}$`), roles: ['technician'], section: 'geraete', render: deviceDetailView },
  { id: 'oeffentlich', pattern: /^\/oeffentlich$/, roles: 'public', nav: 'nav.public', render: publicView },
  { id: 'anmelden', pattern: /^\/anmelden$/, roles: 'public', render: loginView },
];

const main = document.getElementById('main') as HTMLElement;
const header = document.getElementById('site-header') as HTMLElement;
const footer = document.getElementById('site-footer') as HTMLElement;
let current: { view: View; route: RouteSpec | undefined; path: string } | undefined;
let renderSeq = 0;
let mounted = false;

/** The palette as CSS custom properties (one source for the CSS and the contrast test). */
function applyPalette(): void {
  const root = document.documentElement.style;
  for (const [name, value] of Object.entries(PALETTE)) root.setProperty(`--c-${name.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`, value);
}

const pathOf = (hash: string) => (hash.startsWith('#/') ? hash.slice(1).split('?')[0]! : '/');

export function navigate(path: string): void {
  if (location.hash === `#${path}`) void render();
  else location.hash = `#${path}`;
}

/** The first view the user may see: their working view, else the public page. */
function home(user: User | null): string {
  const r = ROUTES.find((x) => x.nav && x.roles !== 'public' && allowed(user, x.roles));
  return r ? `/${r.id}` : '/oeffentlich';
}

function renderHeader(activeSection: string | undefined): void {
  const user = currentUser();
  const navItems = ROUTES.filter((r) => r.nav && allowed(user, r.roles));
  const statusText = () => t(`live.${live.status}`);
  const status = h('span', { class: `live-status ${live.status}`, role: 'status', 'aria-live': 'polite' }, user ? statusText() : '');
  const other = getLang() === 'de' ? 'en' : 'de';
  replace(
    header,
    h(
      'div',
      { class: 'bar' },
      h('a', { class: 'brand', href: '#/' }, h('span', { class: 'brand-mark', 'aria-hidden': 'true' }, '◉'), ' Stadtpuls'),
      h(
        'nav',
        { 'aria-label': t('nav.label') },
        h(
          'ul',
          null,
          navItems.map((r) => h('li', null, h('a', { href: `#/${r.id}`, 'aria-current': r.id === activeSection ? 'page' : undefined }, t(r.nav!)))),
        ),
      ),
      h(
        'div',
        { class: 'tools' },
        status,
        h(
          'button',
          { type: 'button', class: 'lang-toggle', lang: other, 'aria-label': t('lang.switchLabel'), onclick: () => setLang(other) },
          t('lang.switch'),
        ),
        user
          ? [
              h('span', { class: 'user' }, h('span', { class: 'sr-only' }, t('user.loggedInAs')), ` ${user.username} `, h('span', { class: 'roles' }, `(${user.roles.map((r: Role) => roleLabel(r)).join(', ')})`)),
              h('button', { type: 'button', class: 'logout', onclick: () => void doLogout() }, t('nav.logout')),
            ]
          : h('a', { class: 'login-link', href: '#/anmelden' }, t('nav.login')),
      ),
    ),
  );
}

function renderFooter(): void {
  replace(footer, h('p', null, t('footer.text')));
}

async function doLogout(): Promise<void> {
  live.disconnect();
  await logout().catch(() => undefined);
  navigate('/oeffentlich');
}

/**
 * Called when the server ended the session or the live connection (API 401, socket refused or disconnected by the
 * server): back to the login page — or, when the session is still valid (e.g. the roles changed), reconnect and
 * show what the roles now allow.
 */
let lastReconnect = 0;
function sessionEnded(): void {
  if (!currentUser()) return;
  void loadSession().then(
    (u) => {
      if (!u) {
        live.disconnect();
        forgetSession();
        navigate('/anmelden');
        return;
      }
      // Never a tight loop: at most one reconnect of this kind per 10 s.
      if (Date.now() - lastReconnect < 10_000) return;
      lastReconnect = Date.now();
      live.disconnect();
      live.connect(sessionEnded);
      void render();
    },
    () => undefined,
  );
}

async function render(): Promise<void> {
  const seq = ++renderSeq;
  const path = pathOf(location.hash);
  const user = currentUser();
  if (path === '/') {
    navigate(home(user));
    return;
  }
  const route = ROUTES.find((r) => r.pattern.test(path));
  const params = route ? (route.pattern.exec(path) ?? []).slice(1) : [];
  if (user && !live.snapshotAt && live.status === 'offline') live.connect(sessionEnded);
  if (route?.id === 'anmelden' && user) {
    navigate(home(user));
    return;
  }
  let view: View;
  const ctx = { user, params, navigate };
  // The header follows the session at once (a view may take a moment to load its data).
  if (route && (route.roles === 'public' || user)) renderHeader(route.section ?? route.id);
  if (!route) view = notFoundView(ctx);
  else if (route.roles !== 'public' && !user) {
    // Not logged in: log in first, then come back here.
    sessionStorage.setItem('stadtpuls.next', path);
    navigate('/anmelden');
    return;
  } else if (!allowed(user, route.roles)) view = forbiddenView(ctx, route, ROUTES);
  else {
    if (current && current.path !== path) {
      // Another view: the old one goes at once (nothing stale to click on) while the new one loads its data.
      current.view.dispose?.();
      current = undefined;
      replace(main, h('p', { class: 'status-line', role: 'status' }, t('common.loading')));
    }
    main.setAttribute('aria-busy', 'true');
    try {
      view = await route.render(ctx);
    } catch (err) {
      view = { title: t('error.title'), el: h('section', null, h('h1', { tabindex: -1 }, t('error.title')), h('p', { role: 'alert' }, (err as Error).message)) };
    }
  }
  if (seq !== renderSeq) {
    view.dispose?.();
    return;
  }
  current?.view.dispose?.();
  current = { view, route, path };
  renderHeader(route?.section ?? route?.id);
  replace(main, view.el);
  main.removeAttribute('aria-busy');
  document.title = `${view.title} – Stadtpuls`;
  // After the first view, move the focus to the new heading (screen readers announce the page change).
  if (mounted) (main.querySelector('h1') ?? main).focus({ preventScroll: false });
  mounted = true;
}

async function boot(): Promise<void> {
  applyPalette();
  document.documentElement.lang = getLang();
  const skip = document.querySelector<HTMLAnchorElement>('.skip-link');
  skip?.addEventListener('click', (e) => {
    e.preventDefault();
    (main.querySelector('h1') ?? main).focus();
  });
  setUnauthorizedHandler(sessionEnded);
  await loadConfig();
  await loadSession().catch(() => null);
  publicLive.connect();
  renderFooter();
  live.on('status', () => {
    const el = header.querySelector('.live-status');
    if (el && currentUser()) {
      el.className = `live-status ${live.status}`;
      el.textContent = t(`live.${live.status}`);
    }
  });
  onLangChange(() => {
    if (skip) skip.textContent = t('skip.toContent');
    renderFooter();
    void render();
  });
  if (skip) skip.textContent = t('skip.toContent');
  window.addEventListener('hashchange', () => {
    if (location.hash.startsWith('#/') || location.hash === '') void render();
  });
  await render();
}

void boot();
