import type { PublicBuildings } from '../../live/protocol.js';
import { get } from '../api.js';
import { h, numCol, replace, table } from '../dom.js';
import * as f from '../format.js';
import { t } from '../i18n/index.js';
import { publicLive } from '../live.js';
import { readingLabel } from '../readings.js';
import { heading, statusLine, type View } from './view.js';

const BUILDINGS_REFRESH_MS = 60_000;
const PUBLIC_QUANTITIES = ['energy_import', 'heat_energy', 'water_volume', 'gas_volume'] as const;
const quantity = (reading: string) => ((PUBLIC_QUANTITIES as readonly string[]).includes(reading) ? t(`public.q.${reading as (typeof PUBLIC_QUANTITIES)[number]}`) : readingLabel(reading));

/** Öffentlich: free spaces per zone (live over /public) and the energy of public buildings. No login. */
export function publicView(): View {
  const zoneBody = h('tbody');
  const zoneStamp = h('p', { class: 'status-line' });
  const renderZones = () => {
    const zones = [...publicLive.zones.values()].sort((a, b) => a.zone.localeCompare(b.zone));
    replace(
      zoneBody,
      zones.length === 0
        ? h('tr', { class: 'empty' }, h('td', { colspan: 4 }, t('public.noZones')))
        : zones.map((z) => {
            const known = z.free + z.occupied;
            const share = known > 0 ? (z.free / known) * 100 : 0;
            return h(
              'tr',
              { dataset: { zone: z.zone } },
              h('th', { scope: 'row' }, f.siteLabel(z.zone)),
              h('td', { class: 'num', 'data-free': z.free }, h('strong', null, f.num(z.free))),
              h('td', { class: 'num' }, f.num(z.total)),
              h('td', null, h('span', { class: 'bar-meter', 'aria-hidden': 'true' }, h('span', { style: `width:${share.toFixed(0)}%` })), ' ', z.stale > 0 ? t('public.unknownBays', { n: z.stale }) : ''),
            );
          }),
    );
    zoneStamp.textContent = t('public.liveStamp', { time: f.time(Date.now()) });
  };
  const offZones = publicLive.on(renderZones);
  renderZones();

  const buildingsBox = h('div', { class: 'table-wrap' }, statusLine(t('common.loading')));
  const loadBuildings = async () => {
    try {
      const data = await get<PublicBuildings>('/api/public/buildings');
      const body = h('tbody');
      const rows = data.buildings.flatMap((b) =>
        b.consumption.map((c, i) =>
          h(
            'tr',
            { dataset: { building: b.building, reading: c.reading } },
            i === 0 ? h('th', { scope: 'rowgroup', rowspan: b.consumption.length }, f.siteLabel(b.building)) : null,
            h('td', null, quantity(c.reading)),
            h('td', { class: 'num' }, f.amount(c.today, c.unit)),
            h('td', { class: 'num' }, f.amount(c.month, c.unit)),
          ),
        ),
      );
      replace(body, rows.length ? rows : h('tr', { class: 'empty' }, h('td', { colspan: 4 }, t('public.noBuildings'))));
      replace(
        buildingsBox,
        table(t('public.buildingsCaption'), [t('public.building'), t('public.quantity'), numCol(t('public.today')), numCol(t('public.month'))], body, { class: 'buildings' }),
        h('p', { class: 'status-line' }, t('public.asOf', { time: f.dateTime(data.at) })),
      );
    } catch (err) {
      replace(buildingsBox, statusLine(t('common.loadFailed', { message: (err as Error).message }), 'error'));
    }
  };
  void loadBuildings();
  const timer = setInterval(() => void loadBuildings(), BUILDINGS_REFRESH_MS);

  return {
    title: t('public.title'),
    el: h(
      'section',
      { 'data-view': 'public' },
      heading(t('public.title')),
      h('p', { class: 'intro' }, t('public.intro')),
      h(
        'section',
        { 'aria-labelledby': 'pub-zones' },
        h('h2', { id: 'pub-zones' }, t('public.zonesTitle')),
        h('div', { class: 'table-wrap' }, table(t('public.zonesCaption'), [t('public.zone'), numCol(t('public.free')), numCol(t('public.total')), t('public.share')], zoneBody, { class: 'zones' })),
        zoneStamp,
      ),
      h('section', { 'aria-labelledby': 'pub-energy' }, h('h2', { id: 'pub-energy' }, t('public.energyTitle')), buildingsBox),
    ),
    dispose() {
      offZones();
      clearInterval(timer);
    },
  };
}
