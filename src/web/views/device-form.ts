/**
 * Gerät anlegen / bearbeiten (technician): inline validation with the API's rules (and the API's own messages
 * when it refuses something), a map pin for the position, a model picker from GET /api/models, and
 * "Decoder testen": a payload decoded by the model's codec in the platform's sandbox (POST /api/codecs/try).
 */
import { ApiError, api, get } from '../api.js';
import { h, replace, uid } from '../dom.js';
import * as f from '../format.js';
import { getLang, t, type MessageKey } from '../i18n/index.js';
import type { PinMap } from '../map.js';
import { readingLabel, readingUnit, type ModelInfo } from '../readings.js';
import type { DeviceRecord } from './devices.js';
import { heading, type View, type ViewContext } from './view.js';

const SITE = /^[A-Za-z0-9_.-]{1,64}$/;
const TAG = /^[A-Za-z0-9_.-]{1,64}$/;
const MAX_INTERVAL = 31 * 24 * 3600;

type FieldName = 'devEui' | 'joinEui' | 'appKey' | 'model' | 'name' | 'site' | 'siteKind' | 'lat' | 'lon' | 'uplinkIntervalSeconds' | 'heightMm' | 'zeroOffsetMm' | 'tags';

/** The API's hex rule (src/onboarding/validation.ts): separators "-", ":" and spaces are ignored. */
export function hexProblem(label: string, text: string, digits: number): string | undefined {
  const hex = text.replace(/[\s:-]/g, '').toLowerCase();
  if (hex.length === digits && /^[0-9a-f]*$/.test(hex)) return undefined;
  return t('form.err.hex', { label, digits, why: /[^0-9a-f]/.test(hex) ? t('form.err.hexChars') : t('form.err.hexCount', { n: hex.length }) });
}

/** A number as typed in either language ("51,2562" or "51.2562"); undefined when empty, NaN when not a number. */
export function parseNumber(text: string): number | undefined {
  const s = text.trim().replace(',', '.');
  if (s === '') return undefined;
  return /^[-+]?(\d+\.?\d*|\.\d+)$/.test(s) ? Number(s) : Number.NaN;
}

export async function deviceFormView(ctx: ViewContext): Promise<View> {
  const editing = ctx.params[0]?.toLowerCase();
  const [models, existing, others] = await Promise.all([
    get<ModelInfo[]>('/api/models'),
    editing ? get<DeviceRecord>(`/api/devices/${editing}`) : Promise.resolve(undefined),
    get<{ devices: DeviceRecord[] }>('/api/devices?limit=10000').then((r) => r.devices),
  ]);
  const prefill = new URLSearchParams(location.hash.split('?')[1] ?? '').get('devEui') ?? '';
  const ids = Object.fromEntries((['devEui', 'joinEui', 'appKey', 'model', 'name', 'site', 'siteKind', 'lat', 'lon', 'uplinkIntervalSeconds', 'heightMm', 'zeroOffsetMm', 'tags'] as const).map((k) => [k, uid(k)])) as Record<FieldName, string>;
  const errors = new Map<FieldName, HTMLElement>();
  const inputs = new Map<FieldName, HTMLInputElement | HTMLSelectElement | HTMLTextAreaElement>();
  let pin: PinMap | undefined;
  let disposed = false;

  const field = (name: FieldName, labelKey: MessageKey, control: HTMLInputElement | HTMLSelectElement | HTMLTextAreaElement, hint?: string) => {
    const err = h('p', { class: 'field-error', id: `${ids[name]}-error` });
    const hintEl = hint ? h('p', { class: 'hint', id: `${ids[name]}-hint` }, hint) : null;
    control.id = ids[name];
    control.name = name;
    control.setAttribute('aria-describedby', [hintEl?.id, err.id].filter(Boolean).join(' '));
    control.addEventListener('blur', () => validateField(name));
    control.addEventListener('change', () => validateField(name));
    errors.set(name, err);
    inputs.set(name, control);
    return h('div', { class: 'field', dataset: { field: name } }, h('label', { for: ids[name] }, t(labelKey)), hintEl, control, err);
  };
  const text = (value: string | number | undefined, attrs: Record<string, unknown> = {}) => h('input', { type: 'text', value: value ?? '', autocomplete: 'off', spellcheck: 'false', ...attrs });

  const tagsText = Object.entries(existing?.tags ?? {})
    .map(([k, v]) => `${k}=${v}`)
    .join('\n');
  const byCategory = new Map<string, ModelInfo[]>();
  for (const m of [...models].sort((a, b) => `${a.vendor} ${a.model}`.localeCompare(`${b.vendor} ${b.model}`))) byCategory.set(m.category, [...(byCategory.get(m.category) ?? []), m]);
  const modelSelect = h(
    'select',
    { required: true },
    h('option', { value: '' }, t('form.chooseModel')),
    [...byCategory].map(([cat, list]) => h('optgroup', { label: t(`form.category.${cat as 'parking' | 'meter' | 'level'}`) }, list.map((m) => h('option', { value: m.id, selected: existing?.model === m.id }, `${m.vendor} ${m.model} (${m.id})`)))),
  );
  const siteKindSelect = h(
    'select',
    null,
    h('option', { value: '' }, t('form.siteKind.none')),
    (['zone', 'building', 'gauge'] as const).map((k) => h('option', { value: k, selected: existing?.siteKind === k }, t(`form.siteKind.${k}`))),
  );
  const devEuiInput = text(existing?.devEui ?? prefill, { readonly: editing ? true : undefined, required: true, inputmode: 'text', class: 'mono' });
  const mountingSet = h(
    'fieldset',
    { class: 'mounting' },
    h('legend', null, t('form.mounting')),
    h('p', { class: 'hint' }, t('form.mountingHint')),
    h('div', { class: 'form-grid' }, field('heightMm', 'form.heightMm', text(existing?.mounting?.heightMm, { inputmode: 'decimal' })), field('zeroOffsetMm', 'form.zeroOffsetMm', text(existing?.mounting?.zeroOffsetMm, { inputmode: 'decimal' }))),
  );
  const latInput = text(existing?.lat, { inputmode: 'decimal' });
  const lonInput = text(existing?.lon, { inputmode: 'decimal' });
  const summary = h('div', { class: 'error-summary', role: 'alert', tabindex: -1, hidden: true });
  const saveButton = h('button', { type: 'submit', class: 'primary' }, editing ? t('form.save') : t('form.create'));
  const mapEl = h('div', { class: 'map small', role: 'region', 'aria-label': t('form.mapLabel') });

  const modelOf = () => models.find((m) => m.id === modelSelect.value);
  const syncMounting = () => {
    mountingSet.hidden = modelOf()?.category !== 'level' && !existing?.mounting;
  };
  modelSelect.addEventListener('change', syncMounting);

  const form = h(
    'form',
    { novalidate: true, class: 'device-form', onsubmit: (e: Event) => (e.preventDefault(), void submit()) },
    summary,
    h(
      'fieldset',
      null,
      h('legend', null, t('form.identity')),
      h(
        'div',
        { class: 'form-grid' },
        field('devEui', 'form.devEui', devEuiInput, t('form.devEuiHint')),
        field('name', 'form.name', text(existing?.name, { required: true, maxlength: 200 })),
        field('model', 'form.model', modelSelect),
        field('joinEui', 'form.joinEui', text(existing?.joinEui, { class: 'mono' }), t('form.joinEuiHint')),
        field('appKey', 'form.appKey', h('input', { type: 'password', autocomplete: 'new-password', class: 'mono' }), existing?.appKeySet ? t('form.appKeyKept') : t('form.appKeyHint')),
      ),
    ),
    h(
      'fieldset',
      null,
      h('legend', null, t('form.placement')),
      h(
        'div',
        { class: 'form-grid' },
        field('site', 'form.site', text(existing?.site), t('form.siteHint')),
        field('siteKind', 'form.siteKindLabel', siteKindSelect),
        field('uplinkIntervalSeconds', 'form.interval', text(existing?.uplinkIntervalSeconds, { inputmode: 'numeric' }), t('form.intervalHint')),
        field('lat', 'form.lat', latInput),
        field('lon', 'form.lon', lonInput),
      ),
      h('p', { class: 'hint' }, t('form.mapHint')),
      mapEl,
    ),
    mountingSet,
    h('fieldset', null, h('legend', null, t('form.tagsLegend')), field('tags', 'form.tags', h('textarea', { rows: 3, spellcheck: 'false' }, tagsText), t('form.tagsHint'))),
    h('div', { class: 'actions' }, saveButton, h('a', { class: 'button', href: editing ? `#/geraete/${editing}` : '#/geraete' }, t('form.cancel'))),
  );
  syncMounting();

  const value = (name: FieldName) => inputs.get(name)!.value;

  function problem(name: FieldName): string | undefined {
    const v = value(name).trim();
    switch (name) {
      case 'devEui':
        return v === '' ? t('form.err.required', { what: 'DevEUI' }) : hexProblem('DevEUI', v, 16);
      case 'joinEui':
        return v === '' ? undefined : hexProblem('JoinEUI', v, 16);
      case 'appKey':
        return v === '' ? undefined : hexProblem('AppKey', v, 32);
      case 'model':
        return v === '' ? t('form.err.required', { what: t('form.model') }) : models.some((m) => m.id === v) ? undefined : t('form.err.unknownModel', { model: v });
      case 'name':
        return v === '' ? t('form.err.nameEmpty') : v.length > 200 ? t('form.err.nameLong') : undefined;
      case 'site':
        return v === '' ? (value('siteKind') ? t('form.err.siteKindWithoutSite') : undefined) : SITE.test(v) ? undefined : t('form.err.site');
      case 'siteKind':
        return undefined;
      case 'lat':
      case 'lon': {
        const n = parseNumber(v);
        const [min, max] = name === 'lat' ? [-90, 90] : [-180, 180];
        const what = t(name === 'lat' ? 'form.lat' : 'form.lon');
        if (n !== undefined && Number.isNaN(n)) return t('form.err.number', { what });
        if (n !== undefined && (n < min || n > max)) return t('form.err.range', { what, min, max });
        const other = parseNumber(value(name === 'lat' ? 'lon' : 'lat'));
        if ((n === undefined) !== (other === undefined) && n === undefined) return t('form.err.latLonTogether');
        return undefined;
      }
      case 'uplinkIntervalSeconds': {
        const n = parseNumber(v);
        if (n === undefined) return undefined;
        if (Number.isNaN(n) || !Number.isInteger(n)) return t('form.err.interval');
        if (n < 1 || n > MAX_INTERVAL) return t('form.err.intervalRange', { max: f.num(MAX_INTERVAL) });
        return undefined;
      }
      case 'heightMm':
      case 'zeroOffsetMm': {
        const n = parseNumber(v);
        if (n === undefined) return undefined;
        if (Number.isNaN(n)) return t('form.err.number', { what: t(name === 'heightMm' ? 'form.heightMm' : 'form.zeroOffsetMm') });
        if (name === 'heightMm' && (n < 0 || n > 1_000_000)) return t('form.err.range', { what: t('form.heightMm'), min: 0, max: f.num(1_000_000) });
        if (name === 'zeroOffsetMm' && Math.abs(n) > 1_000_000) return t('form.err.range', { what: t('form.zeroOffsetMm'), min: f.num(-1_000_000), max: f.num(1_000_000) });
        return undefined;
      }
      case 'tags': {
        const lines = v.split('\n').map((l) => l.trim()).filter(Boolean);
        if (lines.length > 50) return t('form.err.tagCount');
        for (const line of lines) {
          const i = line.indexOf('=');
          const key = i < 0 ? line : line.slice(0, i).trim();
          if (i < 0 || !TAG.test(key)) return t('form.err.tag', { line: line.slice(0, 70) });
          if (line.slice(i + 1).trim().length > 256) return t('form.err.tagValue', { name: key });
        }
        return undefined;
      }
    }
  }

  function show(name: FieldName, message: string | undefined): void {
    const err = errors.get(name);
    const input = inputs.get(name);
    if (!err || !input) return;
    err.textContent = message ?? '';
    if (message) input.setAttribute('aria-invalid', 'true');
    else input.removeAttribute('aria-invalid');
  }

  function validateField(name: FieldName): void {
    show(name, problem(name));
    // A summary from the last submit shrinks as its problems are fixed.
    if (!summary.hidden) {
      const left = [...inputs.keys()].flatMap((n): [FieldName, string][] => {
        const p = errors.get(n)?.textContent ? problem(n) : undefined;
        return p ? [[n, p]] : [];
      });
      showSummary(left, false);
    }
    if (name === 'lat' || name === 'lon') {
      const other = name === 'lat' ? 'lon' : 'lat';
      show(other, problem(other));
      const lat = parseNumber(value('lat'));
      const lon = parseNumber(value('lon'));
      if (lat !== undefined && lon !== undefined && !Number.isNaN(lat) && !Number.isNaN(lon) && !problem('lat') && !problem('lon')) pin?.set(lat, lon);
    }
    if (name === 'siteKind') show('site', problem('site'));
  }

  function showSummary(list: readonly [FieldName | undefined, string][], focus = true): void {
    if (list.length === 0) {
      summary.hidden = true;
      replace(summary);
      return;
    }
    replace(
      summary,
      h('h2', null, t('form.summary', { n: list.length })),
      h(
        'ul',
        null,
        list.map(([name, message]) =>
          h(
            'li',
            null,
            name
              ? h(
                  'a',
                  {
                    href: `#${ids[name]}`,
                    onclick: (e: Event) => {
                      e.preventDefault();
                      inputs.get(name)?.focus();
                    },
                  },
                  message,
                )
              : message,
          ),
        ),
      ),
    );
    summary.hidden = false;
    if (focus) summary.focus();
  }

  function body(): Record<string, unknown> {
    const num = (name: FieldName) => parseNumber(value(name));
    const out: Record<string, unknown> = { devEui: value('devEui').trim(), model: value('model'), name: value('name').trim() };
    const opt = (key: string, v: unknown) => {
      if (v !== undefined && v !== '') out[key] = v;
    };
    opt('joinEui', value('joinEui').trim());
    opt('appKey', value('appKey').trim());
    opt('site', value('site').trim());
    opt('siteKind', value('siteKind'));
    opt('lat', num('lat'));
    opt('lon', num('lon'));
    opt('uplinkIntervalSeconds', num('uplinkIntervalSeconds'));
    const heightMm = num('heightMm');
    const zeroOffsetMm = num('zeroOffsetMm');
    if (heightMm !== undefined || zeroOffsetMm !== undefined) out.mounting = { ...(heightMm !== undefined ? { heightMm } : {}), ...(zeroOffsetMm !== undefined ? { zeroOffsetMm } : {}) };
    const tags = Object.fromEntries(
      value('tags')
        .split('\n')
        .map((l) => l.trim())
        .filter(Boolean)
        .map((l) => [l.slice(0, l.indexOf('=')).trim(), l.slice(l.indexOf('=') + 1).trim()]),
    );
    if (Object.keys(tags).length > 0) out.tags = tags;
    return out;
  }

  /** The API's problems (`path: message`) at their fields. */
  function serverProblems(err: ApiError): [FieldName | undefined, string][] {
    const list = err.problems.length > 0 ? err.problems : [err.message];
    return list.map((p) => {
      const m = /^([A-Za-z.0-9_]+|\(body\)): (.*)$/.exec(p);
      const path = m?.[1] ?? '';
      const head = path.split('.')[0] ?? '';
      const name: FieldName | undefined = path.startsWith('mounting.') ? (path.slice(9) as FieldName) : head === 'tags' ? 'tags' : inputs.has(head as FieldName) ? (head as FieldName) : err.status === 409 ? 'devEui' : undefined;
      return [name, m && name ? (m[2] ?? p) : p];
    });
  }

  async function submit(): Promise<void> {
    const list: [FieldName, string][] = [];
    for (const name of inputs.keys()) {
      const p = problem(name);
      show(name, p);
      if (p) list.push([name, p]);
    }
    showSummary(list);
    if (list.length > 0) return;
    saveButton.disabled = true;
    try {
      const b = body();
      const saved = editing ? await api<DeviceRecord>('PUT', `/api/devices/${editing}`, b) : await api<DeviceRecord>('POST', '/api/devices', b);
      ctx.navigate(`/geraete/${saved.devEui}`);
    } catch (err) {
      if (!(err instanceof ApiError)) throw err;
      const problems = serverProblems(err);
      for (const [name, message] of problems) if (name) show(name, message);
      showSummary(problems);
    } finally {
      saveButton.disabled = false;
    }
  }

  // --- Decoder testen ---
  const portId = uid('fport');
  const payloadId = uid('payload');
  const portInput = h('input', { id: portId, type: 'text', inputmode: 'numeric', value: '1', style: 'max-width:6rem' });
  const payloadInput = h('input', { id: payloadId, type: 'text', class: 'mono', spellcheck: 'false', autocomplete: 'off', 'aria-describedby': `${payloadId}-hint` });
  const decodeOut = h('div', { class: 'decode-result', 'aria-live': 'polite' });
  const decodeButton = h('button', { type: 'submit' }, t('decode.run'));
  const decodeForm = h(
    'form',
    { novalidate: true, class: 'decode', onsubmit: (e: Event) => (e.preventDefault(), void decode()) },
    h('div', { class: 'toolbar' }, h('div', null, h('label', { for: portId }, 'fPort'), portInput), h('div', { style: 'flex:1;min-width:16rem' }, h('label', { for: payloadId }, t('decode.payload')), h('p', { class: 'hint', id: `${payloadId}-hint` }, t('decode.payloadHint')), payloadInput), h('div', null, decodeButton)),
    decodeOut,
  );

  async function decode(): Promise<void> {
    const model = modelSelect.value;
    const port = parseNumber(portInput.value);
    if (!model) return replace(decodeOut, h('p', { class: 'field-error' }, t('decode.needModel')));
    if (port === undefined || Number.isNaN(port) || !Number.isInteger(port) || port < 0 || port > 255) return replace(decodeOut, h('p', { class: 'field-error' }, t('decode.badPort')));
    if (!payloadInput.value.trim()) return replace(decodeOut, h('p', { class: 'field-error' }, t('decode.needPayload')));
    decodeButton.disabled = true;
    try {
      const devEui = editing && !hexProblem('DevEUI', editing, 16) ? editing : undefined;
      const res = await api<{ result?: { data?: unknown; warnings?: string[]; errors?: string[] }; error?: string; failure?: string; readings?: Record<string, number | boolean | string> }>('POST', '/api/codecs/try', {
        modelId: model,
        ...(devEui ? { devEui } : {}),
        fPort: port,
        payload: payloadInput.value.trim(),
      });
      if (res.error) {
        replace(decodeOut, h('p', { class: 'field-error', role: 'alert' }, t('decode.failed', { message: res.error, failure: res.failure ?? '' })));
        return;
      }
      const errs = res.result?.errors ?? [];
      const warns = res.result?.warnings ?? [];
      const m = models.find((x) => x.id === model);
      const label = (name: string) => m?.readings.find((r) => r.name === name)?.label[getLang()] ?? readingLabel(name);
      replace(
        decodeOut,
        errs.length > 0 ? h('p', { class: 'field-error', role: 'alert' }, t('decode.errors', { errors: errs.join('; ') })) : null,
        warns.length > 0 ? h('p', { class: 'notice' }, t('decode.warnings', { warnings: warns.join('; ') })) : null,
        h('h3', null, t('decode.output')),
        h('pre', { class: 'json', 'data-testid': 'decoded' }, JSON.stringify(res.result?.data ?? null, null, 2)),
        res.readings && Object.keys(res.readings).length > 0
          ? [h('h3', null, t('decode.readings')), h('ul', null, Object.entries(res.readings).map(([k, v]) => h('li', { dataset: { reading: k } }, `${label(k)}: ${f.reading(v, readingUnit(k))}`)))]
          : null,
      );
    } catch (err) {
      replace(decodeOut, h('p', { class: 'field-error', role: 'alert' }, err instanceof ApiError ? err.problems.join('; ') || err.message : String(err)));
    } finally {
      decodeButton.disabled = false;
    }
  }

  const around = others.filter((d) => d.lat !== undefined && d.lon !== undefined && d.devEui !== editing).map((d) => [d.lat!, d.lon!] as [number, number]);
  void import('../map.js').then(({ pinMap }) => {
    if (disposed) return;
    pin = pinMap(mapEl, { ...(existing?.lat !== undefined ? { lat: existing.lat } : {}), ...(existing?.lon !== undefined ? { lon: existing.lon } : {}) }, around, (lat, lon) => {
      latInput.value = String(lat);
      lonInput.value = String(lon);
      show('lat', problem('lat'));
      show('lon', problem('lon'));
    });
  });

  const title = editing ? t('form.editTitle', { name: existing?.name ?? editing }) : t('form.newTitle');
  return {
    title,
    el: h(
      'section',
      { 'data-view': 'device-form' },
      h('p', null, h('a', { href: editing ? `#/geraete/${editing}` : '#/geraete' }, `← ${t('devices.back')}`)),
      heading(title),
      h('p', { class: 'intro' }, t('form.intro')),
      form,
      h('section', { 'aria-labelledby': 'decode-title', class: 'panel' }, h('h2', { id: 'decode-title' }, t('decode.title')), h('p', { class: 'hint' }, t('decode.intro')), decodeForm),
    ),
    dispose() {
      disposed = true;
      pin?.destroy();
    },
  };
}
