/**
 * Parken (enforcement, technician): a map of the bays (circle markers free / occupied / unknown), zone totals,
 * overstays with the time since arrival, and the bay list — all from the live snapshot and its deltas.
 */
import type { BayState } from '../../live/events.js';
import { h, numCol, replace, table, uid } from '../dom.js';
import * as f from '../format.js';
import { t } from '../i18n/index.js';
import { live } from '../live.js';
import type { BayMap } from '../map.js';
import { PALETTE } from '../palette.js';
import { heading, statusLine, type View } from './view.js';

const stateLabel = (s: BayState['state']) => t(`parking.state.${s}`);
const filters: { zone: string; state: string } = { zone: '', state: '' };

export function parkingView(): View {
  const mapEl = h('div', { class: 'map', 'aria-label': t('parking.mapLabel'), role: 'region' });
  const zoneBody = h('tbody');
  const overBody = h('tbody');
  const bayBody = h('tbody');
  const bayCount = h('p', { class: 'status-line' });
  const waiting = live.snapshotAt === 0 ? statusLine(t('live.waiting')) : null;
  let map: BayMap | undefined;
  let fitted = false;
  let disposed = false;

  const zoneSelectId = uid('zone');
  const stateSelectId = uid('state');
  const zoneSelect = h('select', { id: zoneSelectId, onchange: () => ((filters.zone = zoneSelect.value), renderBays()) });
  const stateSelect = h(
    'select',
    { id: stateSelectId, onchange: () => ((filters.state = stateSelect.value), renderBays()) },
    h('option', { value: '' }, t('parking.allStates')),
    (['free', 'occupied', 'unknown'] as const).map((s) => h('option', { value: s, selected: filters.state === s }, stateLabel(s))),
  );

  const badge = (s: BayState['state']) => h('span', { class: `badge ${s}` }, stateLabel(s));

  function renderZones(): void {
    const zones = [...live.zones.values()].sort((a, b) => a.zone.localeCompare(b.zone));
    replace(
      zoneBody,
      zones.length === 0
        ? h('tr', { class: 'empty' }, h('td', { colspan: 6 }, t('parking.noZones')))
        : zones.map((z) =>
            h(
              'tr',
              { dataset: { zone: z.zone } },
              h('th', { scope: 'row' }, f.siteLabel(z.zone)),
              h('td', { class: 'num', 'data-col': 'free' }, f.num(z.free)),
              h('td', { class: 'num', 'data-col': 'occupied' }, f.num(z.occupied)),
              h('td', { class: 'num', 'data-col': 'stale' }, f.num(z.stale)),
              h('td', { class: 'num' }, f.num(z.total)),
              h('td', { class: 'num' }, f.num(z.overstays)),
            ),
          ),
    );
    const current = zoneSelect.value || filters.zone;
    replace(zoneSelect, h('option', { value: '' }, t('parking.allZones')), zones.map((z) => h('option', { value: z.zone, selected: z.zone === current }, f.siteLabel(z.zone))));
  }

  function renderOverstays(): void {
    const now = Date.now();
    const over = [...live.bays.values()].filter((b) => b.overstay && b.since).sort((a, b) => b.overstay!.overMinutes - a.overstay!.overMinutes);
    replace(
      overBody,
      over.length === 0
        ? h('tr', { class: 'empty' }, h('td', { colspan: 6 }, t('parking.noOverstays')))
        : over.map((b) => {
            const parked = (now - Date.parse(b.since!)) / 60_000;
            return h(
              'tr',
              { dataset: { devEui: b.devEui } },
              h('th', { scope: 'row' }, b.name),
              h('td', null, f.siteLabel(b.zone)),
              h('td', null, h('time', { datetime: b.since }, f.dateTime(b.since))),
              h('td', { class: 'num' }, f.duration(parked)),
              h('td', { class: 'num' }, f.duration(b.overstay!.limitMinutes)),
              h('td', { class: 'num' }, h('strong', null, f.duration(Math.max(b.overstay!.overMinutes, parked - b.overstay!.limitMinutes)))),
            );
          }),
    );
  }

  function renderBays(): void {
    const all = [...live.bays.values()];
    const bays = all.filter((b) => (!filters.zone || b.zone === filters.zone) && (!filters.state || b.state === filters.state)).sort((a, b) => a.zone.localeCompare(b.zone) || a.name.localeCompare(b.name, undefined, { numeric: true }));
    replace(
      bayBody,
      bays.length === 0
        ? h('tr', { class: 'empty' }, h('td', { colspan: 5 }, t('parking.noBays')))
        : bays.map((b) =>
            h(
              'tr',
              { dataset: { devEui: b.devEui, state: b.state } },
              h('th', { scope: 'row' }, b.name),
              h('td', null, f.siteLabel(b.zone)),
              h('td', null, badge(b.state)),
              h('td', null, b.since ? h('time', { datetime: b.since, title: f.dateTime(b.since) }, f.relative(b.since)) : '–'),
              h('td', null, b.lastSeen ? h('time', { datetime: b.lastSeen, title: f.dateTime(b.lastSeen) }, f.relative(b.lastSeen)) : t('common.never')),
            ),
          ),
    );
    const free = all.filter((b) => b.state === 'free').length;
    bayCount.textContent = t('parking.count', { shown: bays.length, total: all.length, free });
  }

  const label = (b: BayState) => `${b.name} (${f.siteLabel(b.zone)}): ${stateLabel(b.state)}${b.since ? ` – ${t('parking.since', { time: f.time(b.since) })}` : ''}`;

  function updateMap(changed: ReadonlySet<string> | 'all'): void {
    if (!map) return;
    map.update(changed === 'all' ? live.bays.values() : [...changed].map((k) => live.bays.get(k)).filter((b): b is BayState => b !== undefined));
    if (!fitted && live.bays.size > 0) {
      map.fit();
      fitted = true;
    }
  }

  const offBays = live.on('bays', (changed) => {
    if (changed === 'all') waiting?.remove();
    updateMap(changed);
    renderBays();
    renderOverstays();
  });
  const offZones = live.on('zones', renderZones);
  // Times since arrival and "x minutes ago" move on by themselves.
  const timer = setInterval(() => {
    renderOverstays();
    renderBays();
  }, 30_000);

  void import('../map.js').then(({ bayMap }) => {
    if (disposed) return;
    map = bayMap(mapEl, label);
    updateMap('all');
  });
  renderZones();
  renderOverstays();
  renderBays();

  const legend = h(
    'ul',
    { class: 'legend', 'aria-label': t('parking.legend') },
    (['free', 'occupied', 'unknown'] as const).map((s) => h('li', null, h('span', { class: 'dot', style: `background:${s === 'free' ? PALETTE.free : s === 'occupied' ? PALETTE.occupied : PALETTE.stale}`, 'aria-hidden': 'true' }), stateLabel(s))),
  );

  return {
    title: t('parking.title'),
    el: h(
      'section',
      { 'data-view': 'parking' },
      heading(t('parking.title')),
      waiting,
      h(
        'div',
        { class: 'grid parking' },
        h('div', null, h('h2', { class: 'sr-only' }, t('parking.mapTitle')), mapEl, legend, h('p', { class: 'status-line' }, t('parking.mapHint'))),
        h(
          'section',
          { 'aria-labelledby': 'parking-zones' },
          h('h2', { id: 'parking-zones' }, t('parking.zonesTitle')),
          h('div', { class: 'table-wrap' }, table(t('parking.zonesCaption'), [t('parking.zone'), numCol(t('parking.free')), numCol(t('parking.occupied')), numCol(t('parking.unknown')), numCol(t('parking.total')), numCol(t('parking.overstays'))], zoneBody, { class: 'zones' })),
        ),
      ),
      h(
        'section',
        { 'aria-labelledby': 'parking-overstays' },
        h('h2', { id: 'parking-overstays' }, t('parking.overstaysTitle')),
        h('div', { class: 'table-wrap' }, table(t('parking.overstaysCaption'), [t('parking.bay'), t('parking.zone'), t('parking.arrival'), numCol(t('parking.parked')), numCol(t('parking.limit')), numCol(t('parking.over'))], overBody, { class: 'overstays' })),
      ),
      h(
        'section',
        { 'aria-labelledby': 'parking-bays' },
        h('h2', { id: 'parking-bays' }, t('parking.baysTitle')),
        h('div', { class: 'toolbar' }, h('div', null, h('label', { for: zoneSelectId }, t('parking.zone')), zoneSelect), h('div', null, h('label', { for: stateSelectId }, t('parking.state')), stateSelect)),
        bayCount,
        h('div', { class: 'table-wrap' }, table(t('parking.baysCaption'), [t('parking.bay'), t('parking.zone'), t('parking.state'), t('parking.stateSince'), t('parking.lastSeen')], bayBody, { class: 'bays' })),
      ),
    ),
    dispose() {
      disposed = true;
      offBays();
      offZones();
      clearInterval(timer);
      map?.destroy();
    },
  };
}
