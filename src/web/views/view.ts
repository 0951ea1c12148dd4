import type { Role } from '../../auth/roles.js';
import { h, type Child } from '../dom.js';
import type { MessageKey } from '../i18n/index.js';
import type { User } from '../session.js';

/** A mounted view: its element, its document title, and what to release when the user leaves it. */
export interface View {
  readonly title: string;
  readonly el: HTMLElement;
  dispose?(): void;
}

export interface ViewContext {
  readonly user: User | null;
  /** Path parameters from the route pattern. */
  readonly params: readonly string[];
  navigate(path: string): void;
}

export interface RouteSpec {
  readonly id: string;
  readonly pattern: RegExp;
  /** 'public': no login needed. */
  readonly roles: readonly Role[] | 'public';
  /** Shown in the navigation under this label. */
  readonly nav?: MessageKey;
  /** The navigation entry a sub-route belongs to. */
  readonly section?: string;
  readonly render: (ctx: ViewContext) => View | Promise<View>;
}

/** The page heading, focusable so the router can move focus to it after navigation. */
export const heading = (...children: Child[]) => h('h1', { tabindex: -1, class: 'view-title' }, ...children);

/** A "loading / failed" line for sections that fetch. */
export const statusLine = (text: string, kind: 'info' | 'error' = 'info') => h('p', { class: `status-line ${kind}`, role: kind === 'error' ? 'alert' : 'status' }, text);
