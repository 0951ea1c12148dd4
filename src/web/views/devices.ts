/**
 * Geräte (technician): every device with its health (last seen, battery, RSSI/SNR, online/offline), filter and
 * search; a device's page with its recent uplinks and decoded values (GET /api/devices/:devEui/uplinks).
 */
import type { DeviceHealth } from '../../live/events.js';
import type { RecentUplink } from '../../live/protocol.js';
import { ApiError, get } from '../api.js';
import { h, numCol, replace, table, uid } from '../dom.js';
import * as f from '../format.js';
import { getLang, t } from '../i18n/index.js';
import { live } from '../live.js';
import { readingLabel, readingUnit, type ModelInfo } from '../readings.js';
import { heading, statusLine, type View, type ViewContext } from './view.js';

export interface DeviceRecord {
  readonly devEui: string;
  readonly joinEui?: string;
  readonly name: string;
  readonly model: string;
  readonly site?: string;
  readonly siteKind?: 'zone' | 'building' | 'gauge';
  readonly lat?: number;
  readonly lon?: number;
  readonly uplinkIntervalSeconds?: number;
  readonly mounting?: { readonly heightMm?: number; readonly zeroOffsetMm?: number };
  readonly tags: Readonly<Record<string, string>>;
  readonly appKeySet: boolean;
  readonly provisioning?: { readonly status: string; readonly error: string | null };
}

const MAX_ROWS = 500;
const filters = { q: '', model: '', status: '', site: '' };

export type HealthStatus = 'online' | 'offline' | 'never';
export const healthStatus = (h?: DeviceHealth): HealthStatus => (!h?.lastSeen ? 'never' : h.online ? 'online' : 'offline');

const statusBadge = (s: HealthStatus) => h('span', { class: `badge ${s}` }, t(`devices.status.${s}`));
const radio = (x?: { rssi?: number; snr?: number }) => (x?.rssi !== undefined ? `${f.num(x.rssi)} dBm / ${x.snr !== undefined ? `${f.num(x.snr, 0, 1)} dB` : '–'}` : '–');
const battery = (x?: DeviceHealth) => (x?.battery !== undefined ? f.percent(x.battery) : x?.batteryVoltage !== undefined ? `${f.num(x.batteryVoltage, 2)} V` : '–');

export async function devicesView(): Promise<View> {
  const [devices, models] = await Promise.all([get<{ devices: DeviceRecord[] }>('/api/devices?limit=10000').then((r) => r.devices), get<ModelInfo[]>('/api/models')]);
  const modelById = new Map(models.map((m) => [m.id, m]));
  const body = h('tbody');
  const count = h('p', { class: 'status-line', id: uid('count') });

  const ids = { q: uid('q'), model: uid('model'), status: uid('status'), site: uid('site') };
  const q = h('input', { id: ids.q, type: 'search', value: filters.q, placeholder: t('devices.searchPlaceholder'), 'aria-describedby': count.id, oninput: () => ((filters.q = q.value), render()) });
  const sites = [...new Set(devices.map((d) => d.site).filter((s): s is string => !!s))].sort();
  const modelSel = h(
    'select',
    { id: ids.model, onchange: () => ((filters.model = modelSel.value), render()) },
    h('option', { value: '' }, t('devices.allModels')),
    [...new Set(devices.map((d) => d.model))].sort().map((m) => h('option', { value: m, selected: filters.model === m }, m)),
  );
  const statusSel = h(
    'select',
    { id: ids.status, onchange: () => ((filters.status = statusSel.value), render()) },
    h('option', { value: '' }, t('devices.allStates')),
    (['online', 'offline', 'never'] as const).map((s) => h('option', { value: s, selected: filters.status === s }, t(`devices.status.${s}`))),
  );
  const siteSel = h(
    'select',
    { id: ids.site, onchange: () => ((filters.site = siteSel.value), render()) },
    h('option', { value: '' }, t('devices.allSites')),
    sites.map((s) => h('option', { value: s, selected: filters.site === s }, f.siteLabel(s))),
  );

  function rows() {
    const registered = new Map(devices.map((d) => [d.devEui, d]));
    const all = new Set([...registered.keys(), ...live.health.keys()]);
    return [...all].map((devEui) => {
      const d = registered.get(devEui);
      const health = live.health.get(devEui);
      return { devEui, name: d?.name ?? health?.name ?? devEui, model: d?.model ?? health?.model ?? '', site: d?.site, registered: !!d, health, status: healthStatus(health) };
    });
  }

  function render(): void {
    const needle = filters.q.trim().toLowerCase();
    const list = rows()
      .filter((r) => (!needle || r.devEui.includes(needle.replace(/[\s:-]/g, '')) || r.name.toLowerCase().includes(needle)) && (!filters.model || r.model === filters.model) && (!filters.status || r.status === filters.status) && (!filters.site || r.site === filters.site))
      .sort((a, b) => a.name.localeCompare(b.name, undefined, { numeric: true }));
    const shown = list.slice(0, MAX_ROWS);
    replace(
      body,
      shown.length === 0
        ? h('tr', { class: 'empty' }, h('td', { colspan: 8 }, t('devices.none')))
        : shown.map((r) =>
            h(
              'tr',
              { dataset: { devEui: r.devEui, status: r.status } },
              h('th', { scope: 'row' }, h('a', { href: `#/geraete/${r.devEui}` }, r.name)),
              h('td', null, h('code', null, r.devEui)),
              h('td', null, modelById.get(r.model) ? `${modelById.get(r.model)!.vendor} ${modelById.get(r.model)!.model}` : r.model || '–'),
              h('td', null, f.siteLabel(r.site)),
              h('td', null, statusBadge(r.status), r.health?.silencedUntil ? [' ', h('span', { class: 'badge silenced' }, t('devices.silenced'))] : null),
              h('td', null, r.health?.lastSeen ? h('time', { datetime: r.health.lastSeen, title: f.dateTime(r.health.lastSeen) }, f.relative(r.health.lastSeen)) : t('common.never')),
              h('td', { class: 'num' }, battery(r.health)),
              h('td', { class: 'num' }, radio(r.health)),
            ),
          ),
    );
    const online = list.filter((r) => r.status === 'online').length;
    count.textContent = list.length > MAX_ROWS ? t('devices.countLimited', { shown: MAX_ROWS, total: list.length }) : t('devices.count', { shown: list.length, total: rows().length, online });
  }

  const off = live.on('health', render);
  const timer = setInterval(render, 30_000);
  render();
  return {
    title: t('devices.title'),
    el: h(
      'section',
      { 'data-view': 'devices' },
      heading(t('devices.title')),
      h('div', { class: 'actions' }, h('a', { class: 'button primary', href: '#/geraete/neu' }, t('devices.new')), h('a', { class: 'button', href: '#/geraete/import' }, t('devices.import'))),
      h(
        'form',
        { class: 'toolbar', role: 'search', 'aria-label': t('devices.filterLabel'), onsubmit: (e: Event) => e.preventDefault() },
        h('div', null, h('label', { for: ids.q }, t('devices.search')), q),
        h('div', null, h('label', { for: ids.model }, t('devices.model')), modelSel),
        h('div', null, h('label', { for: ids.status }, t('devices.status')), statusSel),
        h('div', null, h('label', { for: ids.site }, t('devices.site')), siteSel),
      ),
      count,
      h('div', { class: 'table-wrap' }, table(t('devices.caption'), [t('devices.name'), 'DevEUI', t('devices.model'), t('devices.site'), t('devices.status'), t('devices.lastSeen'), numCol(t('devices.battery')), numCol(t('devices.radio'))], body, { class: 'devices' })),
    ),
    dispose() {
      off();
      clearInterval(timer);
    },
  };
}

function dl(items: readonly [string, Node | string][]): HTMLDListElement {
  return h('dl', { class: 'facts' }, items.map(([k, v]) => [h('dt', null, k), h('dd', null, v)]));
}

export async function deviceDetailView(ctx: ViewContext): Promise<View> {
  const devEui = ctx.params[0]!.toLowerCase();
  const [device, models] = await Promise.all([
    get<DeviceRecord>(`/api/devices/${devEui}`).catch((err: unknown) => {
      if (err instanceof ApiError && err.status === 404) return undefined;
      throw err;
    }),
    get<ModelInfo[]>('/api/models'),
  ]);
  const model = models.find((m) => m.id === (device?.model ?? live.health.get(devEui)?.model));
  const healthBox = h('div');
  const uplinkBox = h('div', { class: 'table-wrap' }, statusLine(t('common.loading')));
  let refresh: ReturnType<typeof setTimeout> | undefined;
  let disposed = false;

  function renderHealth(): void {
    const x = live.health.get(devEui);
    replace(
      healthBox,
      x
        ? dl([
            [t('devices.status'), statusBadge(healthStatus(x))],
            [t('devices.lastSeen'), x.lastSeen ? `${f.dateTime(x.lastSeen)} (${f.relative(x.lastSeen)})` : t('common.never')],
            [t('devices.expected'), t('devices.everySeconds', { s: f.num(x.expectedIntervalSeconds) })],
            [t('devices.battery'), battery(x)],
            [t('devices.radio'), radio(x)],
            [t('devices.gateways'), Object.keys(x.gateways).join(', ') || '–'],
            [t('devices.codecErrors'), x.lastCodecError ? `${f.num(x.codecErrors)} – ${x.lastCodecError.description}` : f.num(x.codecErrors)],
            ...(x.offlineSince ? ([[t('devices.offlineSince'), f.dateTime(x.offlineSince)]] as [string, string][]) : []),
          ])
        : h('p', null, t('devices.noHealth')),
    );
  }

  const label = (name: string) => model?.readings.find((r) => r.name === name)?.label[getLang()] ?? readingLabel(name);

  async function loadUplinks(): Promise<void> {
    try {
      const uplinks = await get<RecentUplink[]>(`/api/devices/${devEui}/uplinks`);
      if (disposed) return;
      const body = h(
        'tbody',
        null,
        uplinks.length === 0
          ? h('tr', { class: 'empty' }, h('td', { colspan: 6 }, t('devices.noUplinks')))
          : uplinks.map((u) =>
              h(
                'tr',
                { dataset: { fcnt: u.fCnt } },
                h('th', { scope: 'row' }, h('time', { datetime: u.time }, f.dateTime(u.time)), h('br'), h('small', null, `fCnt ${u.fCnt} · ${t('devices.port')} ${u.fPort}`)),
                h('td', null, h('code', null, u.payloadHex || '–')),
                h('td', { class: 'num' }, radio(u), h('br'), h('small', null, t('devices.gatewayCount', { n: u.gateways }))),
                h('td', null, u.decoded ? h('code', { class: 'json' }, JSON.stringify(u.decoded).replace(/,"/g, ', "')) : '–'),
                h(
                  'td',
                  null,
                  Object.keys(u.readings).length === 0
                    ? '–'
                    : h('ul', { class: 'plain' }, Object.entries(u.readings).map(([k, v]) => h('li', { dataset: { reading: k } }, `${label(k)}: ${f.reading(v, readingUnit(k))}`))),
                ),
                h('td', null, u.rejection ? h('span', { class: 'field-error' }, `${u.rejection.reason}: ${u.rejection.message}`) : t('devices.ok')),
              ),
            ),
      );
      replace(uplinkBox, table(t('devices.uplinksCaption'), [t('devices.time'), t('devices.payload'), numCol(t('devices.radio')), t('devices.decoded'), t('devices.readings'), t('devices.result')], body, { class: 'uplinks' }));
    } catch (err) {
      replace(uplinkBox, statusLine(t('common.loadFailed', { message: (err as Error).message }), 'error'));
    }
  }

  const offHealth = live.on('health', (changed) => {
    if (changed === 'all' || changed.has(devEui)) renderHealth();
  });
  const offReadings = live.on('readings', (changed) => {
    if ((changed === 'all' || changed.has(devEui)) && !refresh) refresh = setTimeout(() => ((refresh = undefined), void loadUplinks()), 500);
  });
  renderHealth();
  void loadUplinks();

  const title = device?.name ?? devEui;
  return {
    title,
    el: h(
      'section',
      { 'data-view': 'device' },
      h('p', null, h('a', { href: '#/geraete' }, `← ${t('devices.back')}`)),
      heading(title),
      h('div', { class: 'actions' }, device ? h('a', { class: 'button primary', href: `#/geraete/${devEui}/bearbeiten` }, t('devices.edit')) : h('a', { class: 'button primary', href: `#/geraete/neu?devEui=${devEui}` }, t('devices.register'))),
      h(
        'div',
        { class: 'grid two' },
        h(
          'section',
          { 'aria-labelledby': 'dev-facts' },
          h('h2', { id: 'dev-facts' }, t('devices.facts')),
          dl([
            ['DevEUI', h('code', null, devEui)],
            [t('devices.model'), model ? `${model.vendor} ${model.model} (${model.id})` : (device?.model ?? '–')],
            [t('devices.site'), device?.site ? `${f.siteLabel(device.site)}${device.siteKind ? ` (${t(`form.siteKind.${device.siteKind}`)})` : ''}` : '–'],
            [t('devices.position'), device?.lat !== undefined && device.lon !== undefined ? `${f.num(device.lat, 6)}, ${f.num(device.lon, 6)}` : '–'],
            [t('form.appKey'), device ? (device.appKeySet ? t('devices.appKeySet') : t('devices.appKeyMissing')) : '–'],
            ...(device?.provisioning ? ([[t('devices.provisioning'), `${device.provisioning.status}${device.provisioning.error ? ` – ${device.provisioning.error}` : ''}`]] as [string, string][]) : []),
            ...(!device ? ([[t('devices.registered'), t('devices.notRegistered')]] as [string, string][]) : []),
          ]),
        ),
        h('section', { 'aria-labelledby': 'dev-health' }, h('h2', { id: 'dev-health' }, t('devices.health')), healthBox),
      ),
      h('section', { 'aria-labelledby': 'dev-uplinks' }, h('h2', { id: 'dev-uplinks' }, t('devices.uplinks')), uplinkBox),
    ),
    dispose() {
      disposed = true;
      offHealth();
      offReadings();
      clearTimeout(refresh);
    },
  };
}
