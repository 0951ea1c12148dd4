/** A tiny DOM helper: elements from tag, attributes and children. Text is always set as text (never HTML). */
export type Child = Node | string | number | null | undefined | false | readonly Child[];
export type Attrs = Readonly<Record<string, unknown>>;

export function append(parent: Node, children: readonly Child[]): void {
  for (const c of children) {
    if (c === null || c === undefined || c === false) continue;
    if (c instanceof Node) parent.appendChild(c);
    else if (typeof c === 'string') parent.appendChild(document.createTextNode(c));
    else if (typeof c === 'number') parent.appendChild(document.createTextNode(String(c)));
    else append(parent, c);
  }
}

/**
 * `h('button', {class: 'primary', onclick: fn, disabled: true}, 'Text')`. Attributes whose value is undefined,
 * null or false are left out, `true` sets an empty attribute, `on…` functions become event listeners and
 * `dataset` an object of data attributes.
 */
export function h<K extends keyof HTMLElementTagNameMap>(tag: K, attrs?: Attrs | null, ...children: Child[]): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  if (attrs) {
    for (const [k, v] of Object.entries(attrs)) {
      if (v === undefined || v === null || v === false) continue;
      if (k.startsWith('on') && typeof v === 'function') el.addEventListener(k.slice(2).toLowerCase(), v as EventListener);
      else if (k === 'dataset') for (const [dk, dv] of Object.entries(v as Record<string, string | number | boolean>)) el.dataset[dk] = String(dv);
      else if (v === true) el.setAttribute(k, '');
      else el.setAttribute(k, typeof v === 'string' ? v : typeof v === 'number' ? String(v) : JSON.stringify(v));
    }
  }
  append(el, children);
  return el;
}

/** Replaces an element's children. */
export function replace(el: Element, ...children: Child[]): void {
  el.replaceChildren();
  append(el, children);
}

let ids = 0;
/** A document-unique id for label/aria wiring. */
export const uid = (prefix: string): string => `${prefix}-${++ids}`;

/** A right-aligned (numeric) column header for `table`. */
export interface NumCol {
  readonly num: Child;
}
export const numCol = (text: Child): NumCol => ({ num: text });
const isNumCol = (x: unknown): x is NumCol => typeof x === 'object' && x !== null && !(x instanceof Node) && !Array.isArray(x) && 'num' in x;

/** A table with a caption and column headers (scope="col"). */
export function table(caption: Child, headers: readonly (Child | NumCol)[], body: HTMLTableSectionElement, attrs: Attrs = {}): HTMLTableElement {
  return h(
    'table',
    attrs,
    h('caption', null, caption),
    h('thead', null, h('tr', null, headers.map((x) => (isNumCol(x) ? h('th', { scope: 'col', class: 'num' }, x.num) : h('th', { scope: 'col' }, x))))),
    body,
  );
}

/** A visually hidden element for screen readers. */
export const srOnly = (...children: Child[]) => h('span', { class: 'sr-only' }, ...children);
