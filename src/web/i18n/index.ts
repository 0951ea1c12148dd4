import type { Role } from '../../auth/roles.js';
import { de, type Messages } from './de.js';
import { en } from './en.js';

export type Lang = 'de' | 'en';
export type MessageKey = keyof Messages;

const STORAGE_KEY = 'stadtpuls.lang';
const DICTS: Readonly<Record<Lang, Messages>> = { de, en };

function stored(): Lang {
  try {
    return localStorage.getItem(STORAGE_KEY) === 'en' ? 'en' : 'de';
  } catch {
    return 'de';
  }
}

let lang: Lang = stored();
const listeners = new Set<() => void>();

export const getLang = (): Lang => lang;

/** BCP 47 locale for Intl: German (Germany) or English (United Kingdom: 24-hour clock, day before month). */
export const locale = (): string => (lang === 'en' ? 'en-GB' : 'de-DE');

export function setLang(next: Lang): void {
  lang = next;
  try {
    localStorage.setItem(STORAGE_KEY, next);
  } catch {
    // private mode: the choice lasts for this page only
  }
  document.documentElement.lang = next;
  for (const l of listeners) l();
}

export function onLangChange(fn: () => void): () => void {
  listeners.add(fn);
  return () => listeners.delete(fn);
}

/** The message in the current language, with `{name}` placeholders filled in. */
export function t(key: MessageKey, vars?: Readonly<Record<string, string | number>>): string {
  const text = DICTS[lang][key];
  return vars ? text.replace(/\{(\w+)\}/g, (m, name: string) => (name in vars ? String(vars[name]) : m)) : text;
}

export const roleLabel = (r: Role): string => t(`role.${r}`);
