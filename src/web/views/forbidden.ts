import { h } from '../dom.js';
import { roleLabel, t } from '../i18n/index.js';
import { allowed } from '../session.js';
import { heading, type RouteSpec, type View, type ViewContext } from './view.js';

/** A view the user's roles may not see (the API would answer 403 as well). */
export function forbiddenView(ctx: ViewContext, route: RouteSpec, routes: readonly RouteSpec[]): View {
  const section = routes.find((r) => r.id === (route.section ?? route.id));
  const name = section?.nav ? t(section.nav) : route.id;
  const who = route.roles === 'public' ? [] : [...route.roles, 'admin' as const].map((r) => roleLabel(r));
  const mine = routes.filter((r) => r.nav && allowed(ctx.user, r.roles));
  return {
    title: t('forbidden.title'),
    el: h(
      'section',
      { class: 'forbidden', 'data-view': 'forbidden' },
      heading(t('forbidden.title')),
      h('p', { class: 'notice alarm', role: 'alert' }, t('forbidden.text', { view: name, roles: (ctx.user?.roles ?? []).map((r) => roleLabel(r)).join(', ') })),
      h('p', null, t('forbidden.who', { roles: who.join(', ') })),
      mine.length > 0 ? [h('h2', null, t('forbidden.yours')), h('ul', null, mine.map((r) => h('li', null, h('a', { href: `#/${r.id}` }, t(r.nav!)))))] : null,
    ),
  };
}

export function notFoundView(_ctx: ViewContext): View {
  return {
    title: t('notFound.title'),
    el: h('section', null, heading(t('notFound.title')), h('p', null, t('notFound.text')), h('p', null, h('a', { href: '#/' }, t('notFound.home')))),
  };
}
