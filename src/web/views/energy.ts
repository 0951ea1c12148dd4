/**
 * Energie (facility, viewer, technician): buildings, consumption today and this month against the previous day
 * and month, hourly/daily/monthly charts with a table of the same numbers, live power derived from the meters'
 * `reading` events, and the meters with their status.
 */
import type { PublicBuildings } from '../../live/protocol.js';
import { get } from '../api.js';
import type { Chart } from '../chart.js';
import { h, numCol, replace, table, uid } from '../dom.js';
import * as f from '../format.js';
import { t } from '../i18n/index.js';
import { live } from '../live.js';
import { PALETTE } from '../palette.js';
import { CONSUMPTION_ORDER, isConsumption, readingLabel, type ModelInfo } from '../readings.js';
import { heading, statusLine, type View } from './view.js';

type Resolution = 'hour' | 'day' | 'month';

interface DeviceInfo {
  readonly devEui: string;
  readonly name: string;
  readonly model: string;
  readonly site?: string;
  readonly siteKind?: string;
  readonly uplinkIntervalSeconds?: number;
}

interface Series {
  readonly reading: string;
  readonly unit: string;
  readonly total: Readonly<Record<string, number>>;
  readonly buckets: readonly (Readonly<Record<string, number>> & { readonly start: string; readonly end: string })[];
}

interface Consumption {
  readonly building: string;
  readonly resolution: Resolution;
  readonly from: string;
  readonly to: string;
  readonly series: readonly Series[];
}

/** The amount of a bucket or total: the one numeric value besides start/end. */
const amountOf = (x: Readonly<Record<string, unknown>>): number => {
  for (const [k, v] of Object.entries(x)) if (k !== 'start' && k !== 'end' && typeof v === 'number') return v;
  return 0;
};

const byOrder = (a: string, b: string) => {
  const ia = CONSUMPTION_ORDER.indexOf(a as (typeof CONSUMPTION_ORDER)[number]);
  const ib = CONSUMPTION_ORDER.indexOf(b as (typeof CONSUMPTION_ORDER)[number]);
  return (ia < 0 ? 99 : ia) - (ib < 0 ? 99 : ib) || a.localeCompare(b);
};

/** Kept while the app runs, so a language switch or a visit elsewhere keeps the choice. */
const state: { building?: string; resolution: Resolution; reading?: string } = { resolution: 'hour' };

const REFRESH_AFTER_READING_MS = 5_000;

/** Yesterday's and the first of last month's local dates (YYYY-MM-DD) in the town's time zone. */
function periodStarts(now = Date.now()): { today: string; yesterday: string; month: string; prevMonth: string } {
  const today = f.localDate(now);
  const [y, m, d] = today.split('-').map(Number) as [number, number, number];
  const iso = (dt: Date) => dt.toISOString().slice(0, 10);
  return {
    today,
    yesterday: iso(new Date(Date.UTC(y, m - 1, d - 1))),
    month: iso(new Date(Date.UTC(y, m - 1, 1))),
    prevMonth: iso(new Date(Date.UTC(y, m - 2, 1))),
  };
}

export async function energyView(): Promise<View> {
  const [models, devices, publicBuildings] = await Promise.all([
    get<ModelInfo[]>('/api/models'),
    get<{ devices: DeviceInfo[] }>('/api/devices?limit=10000').then((r) => r.devices),
    get<PublicBuildings>('/api/public/buildings').catch(() => undefined),
  ]);
  const modelById = new Map(models.map((m) => [m.id, m]));
  const isMeter = (d: DeviceInfo) => (modelById.get(d.model)?.readings ?? []).some((r) => isConsumption(r.name));
  const meters = devices.filter((d) => d.site !== undefined && d.siteKind !== 'zone' && d.siteKind !== 'gauge' && isMeter(d));
  const buildings = [...new Set([...meters.map((d) => d.site!), ...(publicBuildings?.buildings.map((b) => b.building) ?? [])])].sort();
  // Start with the building that has the most meters (usually the town hall), then the user's choice.
  const meterCount = (b: string) => meters.filter((m) => m.site === b).length;
  if (!state.building || !buildings.includes(state.building)) state.building = [...buildings].sort((a, b) => meterCount(b) - meterCount(a) || a.localeCompare(b))[0];

  const disposers: (() => void)[] = [];
  let chart: Chart | undefined;
  let refreshTimer: ReturnType<typeof setTimeout> | undefined;
  let disposed = false;

  const selectId = uid('building');
  const select = h(
    'select',
    {
      id: selectId,
      onchange: () => {
        state.building = select.value;
        state.reading = undefined;
        void loadAll();
        renderMeters();
      },
    },
    buildings.map((b) => h('option', { value: b, selected: b === state.building }, f.siteLabel(b))),
  );

  const cards = h('div', { class: 'grid cards', 'aria-live': 'off' });
  const compareBox = h('div', { class: 'table-wrap' });
  const chartTitle = h('h2', { id: uid('chart-title') });
  const chartEl = h('div', { class: 'chart', role: 'img' });
  const chartTable = h('div', { class: 'table-wrap' });
  const readingSelect = h('select', { id: uid('reading'), onchange: () => ((state.reading = readingSelect.value), void loadChart()) });
  const meterBody = h('tbody');
  const powerCard = h('p', { class: 'value', 'data-testid': 'live-power' }, '–');
  const powerLabel = h('p', { class: 'label' }, t('energy.livePower'));

  const resolutionGroup = h(
    'fieldset',
    { class: 'resolution' },
    h('legend', null, t('energy.resolution')),
    (['hour', 'day', 'month'] as const).map((r) => {
      const id = uid(`res-${r}`);
      return h(
        'span',
        { class: 'radio' },
        h('input', {
          type: 'radio',
          name: 'resolution',
          id,
          value: r,
          checked: state.resolution === r,
          onchange: () => {
            state.resolution = r;
            void loadChart();
          },
        }),
        ' ',
        h('label', { for: id, style: 'display:inline;font-weight:normal' }, t(`energy.res.${r}`)),
        ' ',
      );
    }),
  );

  const buildingMeters = () => meters.filter((m) => m.site === state.building);

  /** Live power of a meter: its `power` reading, else the rise of its energy counter between its last two readings. */
  function meterPower(devEui: string): { electricity?: number; heat?: number } {
    const rs = live.readings.get(devEui) ?? [];
    const last = rs.at(-1);
    if (!last) return {};
    const out: { electricity?: number; heat?: number } = {};
    if (typeof last.readings.power === 'number') out.electricity = last.readings.power;
    else {
      const prev = rs.at(-2);
      const e1 = last.readings.energy_import;
      const e0 = prev?.readings.energy_import;
      const dtH = prev ? (Date.parse(last.time) - Date.parse(prev.time)) / 3.6e6 : 0;
      if (typeof e1 === 'number' && typeof e0 === 'number' && dtH > 0 && e1 >= e0) out.electricity = (e1 - e0) / dtH;
    }
    if (typeof last.readings.heat_power === 'number') out.heat = last.readings.heat_power;
    return out;
  }

  function renderMeters(): void {
    const list = buildingMeters();
    let electricity: number | undefined;
    let heat: number | undefined;
    const now = Date.now();
    replace(
      meterBody,
      list.length === 0
        ? h('tr', { class: 'empty' }, h('td', { colspan: 6 }, t('energy.noMeters')))
        : list.map((m) => {
            const model = modelById.get(m.model);
            const last = live.latest(m.devEui);
            const p = meterPower(m.devEui);
            if (p.electricity !== undefined) electricity = (electricity ?? 0) + p.electricity;
            if (p.heat !== undefined) heat = (heat ?? 0) + p.heat;
            const counter = model?.readings.find((r) => isConsumption(r.name) && typeof last?.readings[r.name] === 'number');
            const interval = (m.uplinkIntervalSeconds ?? model?.uplinkIntervalSeconds ?? 900) * 1000;
            const status = !last ? 'never' : now - Date.parse(last.time) > 3 * interval ? 'offline' : 'online';
            const pw = p.electricity ?? p.heat;
            return h(
              'tr',
              { dataset: { devEui: m.devEui, status } },
              h('th', { scope: 'row' }, m.name),
              h('td', null, model ? `${model.vendor} ${model.model}` : m.model),
              h('td', { class: 'num' }, counter && last ? f.amount(last.readings[counter.name] as number, counter.unit) : '–'),
              h('td', { class: 'num' }, pw !== undefined ? f.power(pw) : '–'),
              h('td', null, last ? h('time', { datetime: last.time, title: f.dateTime(last.time) }, f.relative(last.time)) : t('common.never')),
              h('td', null, h('span', { class: `badge ${status}` }, t(`energy.meter.${status}`))),
            );
          }),
    );
    powerCard.textContent = electricity !== undefined ? f.power(electricity) : heat !== undefined ? f.power(heat) : '–';
    powerLabel.textContent = electricity === undefined && heat !== undefined ? t('energy.livePowerHeat') : t('energy.livePower');
  }

  async function loadCompare(): Promise<void> {
    const b = state.building;
    if (!b) return;
    const p = periodStarts();
    try {
      const [days, months] = await Promise.all([
        get<Consumption>(`/api/buildings/${encodeURIComponent(b)}/consumption?resolution=day&from=${p.yesterday}`),
        get<Consumption>(`/api/buildings/${encodeURIComponent(b)}/consumption?resolution=month&from=${p.prevMonth}`),
      ]);
      if (disposed || b !== state.building) return;
      const pick = (s: Series | undefined, date: string) => {
        const bucket = s?.buckets.find((x) => x.start.slice(0, date.length) === date);
        return bucket ? amountOf(bucket) : 0;
      };
      const readings = [...new Set(days.series.map((s) => s.reading))].sort(byOrder);
      const rows = readings.map((reading) => {
        const d = days.series.find((s) => s.reading === reading);
        const m = months.series.find((s) => s.reading === reading);
        const unit = d?.unit ?? m?.unit ?? '';
        return { reading, unit, today: pick(d, p.today), yesterday: pick(d, p.yesterday), month: pick(m, p.month.slice(0, 7)), prevMonth: pick(m, p.prevMonth.slice(0, 7)) };
      });
      const change = (now: number, before: number) => (before > 0 ? t('energy.change', { pct: `${now >= before ? '+' : '−'}${f.num(Math.abs((now / before - 1) * 100), 0)}` }) : '');
      const primary = rows[0];
      replace(
        cards,
        primary
          ? [
              h('div', { class: 'card' }, h('p', { class: 'label' }, t('energy.today', { what: readingLabel(primary.reading) })), h('p', { class: 'value', 'data-testid': 'today' }, f.amount(primary.today, primary.unit)), h('p', { class: 'compare' }, t('energy.vsYesterday', { value: f.amount(primary.yesterday, primary.unit) }))),
              h('div', { class: 'card' }, h('p', { class: 'label' }, t('energy.thisMonth', { what: readingLabel(primary.reading) })), h('p', { class: 'value', 'data-testid': 'month' }, f.amount(primary.month, primary.unit)), h('p', { class: 'compare' }, t('energy.vsPrevMonth', { value: f.amount(primary.prevMonth, primary.unit) }))),
            ]
          : [],
        h('div', { class: 'card' }, powerLabel, powerCard, h('p', { class: 'compare' }, t('energy.livePowerHint'))),
      );
      const body = h(
        'tbody',
        null,
        rows.length === 0
          ? h('tr', { class: 'empty' }, h('td', { colspan: 5 }, t('energy.noData')))
          : rows.map((r) =>
              h(
                'tr',
                { dataset: { reading: r.reading } },
                h('th', { scope: 'row' }, readingLabel(r.reading)),
                h('td', { class: 'num' }, f.amount(r.today, r.unit), h('br'), h('small', null, change(r.today, r.yesterday))),
                h('td', { class: 'num' }, f.amount(r.yesterday, r.unit)),
                h('td', { class: 'num' }, f.amount(r.month, r.unit), h('br'), h('small', null, change(r.month, r.prevMonth))),
                h('td', { class: 'num' }, f.amount(r.prevMonth, r.unit)),
              ),
            ),
      );
      replace(compareBox, table(t('energy.compareCaption', { building: f.siteLabel(b) }), [t('energy.quantity'), numCol(t('energy.col.today')), numCol(t('energy.col.yesterday')), numCol(t('energy.col.month')), numCol(t('energy.col.prevMonth'))], body, { class: 'compare' }));
    } catch (err) {
      replace(compareBox, statusLine(t('common.loadFailed', { message: (err as Error).message }), 'error'));
    }
  }

  async function loadChart(): Promise<void> {
    const b = state.building;
    if (!b) return;
    const res = state.resolution;
    try {
      const data = await get<Consumption>(`/api/buildings/${encodeURIComponent(b)}/consumption?resolution=${res}`);
      if (disposed || b !== state.building || res !== state.resolution) return;
      const readings = data.series.map((s) => s.reading).sort(byOrder);
      if (!state.reading || !readings.includes(state.reading)) state.reading = readings[0];
      replace(readingSelect, readings.map((r) => h('option', { value: r, selected: r === state.reading }, readingLabel(r))));
      readingSelect.disabled = readings.length < 2;
      const series = data.series.find((s) => s.reading === state.reading);
      const title = t(`energy.chartTitle.${res}`, { what: series ? readingLabel(series.reading) : '' });
      chartTitle.textContent = title;
      chart?.destroy();
      chart = undefined;
      const buckets = series?.buckets ?? [];
      const unit = series?.unit ?? '';
      if (buckets.length === 0) {
        replace(chartEl, statusLine(t('energy.noBuckets')));
        chartEl.removeAttribute('aria-label');
      } else {
        replace(chartEl);
        const total = amountOf(series!.total);
        chartEl.setAttribute('aria-label', t('energy.chartSummary', { title, n: buckets.length, total: f.amount(total, unit) }));
        const { barChart } = await import('../chart.js');
        if (disposed) return;
        chart = barChart(
          chartEl,
          buckets.map((x) => Date.parse(x.start) / 1000),
          { label: readingLabel(series!.reading), values: buckets.map((x) => f.amountValue(amountOf(x), unit)), color: PALETTE.chart, fill: PALETTE.chart },
          {
            tick: (ms) => f.tick(ms, res),
            value: (v, d) => f.num(v, d),
            unit: f.amountUnit(unit),
            // The whole requested window, so a day with three hours of data still shows as a day.
            range: [Date.parse(data.from) / 1000, Math.max(Date.parse(data.to) / 1000, Date.parse(buckets.at(-1)!.end) / 1000)],
          },
        );
      }
      const body = h(
        'tbody',
        null,
        buckets.length === 0
          ? h('tr', { class: 'empty' }, h('td', { colspan: 2 }, t('energy.noBuckets')))
          : [...buckets].reverse().map((x) => h('tr', { dataset: { start: x.start } }, h('th', { scope: 'row' }, f.bucket(x.start, res)), h('td', { class: 'num' }, f.amount(amountOf(x), unit)))),
      );
      replace(chartTable, table(t('energy.tableCaption', { title }), [t(`energy.period.${res}`), numCol(t('energy.consumption'))], body, { class: 'buckets', 'data-resolution': res }));
    } catch (err) {
      replace(chartEl, statusLine(t('common.loadFailed', { message: (err as Error).message }), 'error'));
    }
  }

  async function loadAll(): Promise<void> {
    await Promise.all([loadCompare(), loadChart()]);
  }

  disposers.push(
    live.on('readings', (changed) => {
      const mine = buildingMeters().map((m) => m.devEui);
      if (changed !== 'all' && !mine.some((d) => changed.has(d))) return;
      renderMeters();
      // Consumption moves with every meter uplink: refresh the figures, at most every few seconds.
      if (!refreshTimer) refreshTimer = setTimeout(() => ((refreshTimer = undefined), void loadAll()), REFRESH_AFTER_READING_MS);
    }),
  );
  const statusTimer = setInterval(renderMeters, 30_000);
  renderMeters();
  if (state.building) void loadAll();

  const el = h(
    'section',
    { 'data-view': 'energy' },
    heading(t('energy.title')),
    buildings.length === 0
      ? h('p', { class: 'notice' }, t('energy.noBuildings'))
      : [
          h('div', { class: 'toolbar' }, h('div', null, h('label', { for: selectId }, t('energy.building')), select)),
          cards,
          h('section', { 'aria-labelledby': 'energy-compare' }, h('h2', { id: 'energy-compare' }, t('energy.compareTitle')), compareBox),
          h(
            'section',
            { 'aria-labelledby': chartTitle.id },
            chartTitle,
            h('div', { class: 'toolbar' }, resolutionGroup, h('div', null, h('label', { for: readingSelect.id }, t('energy.reading')), readingSelect)),
            h('div', { class: 'grid two' }, chartEl, chartTable),
          ),
          h(
            'section',
            { 'aria-labelledby': 'energy-meters' },
            h('h2', { id: 'energy-meters' }, t('energy.metersTitle')),
            h('div', { class: 'table-wrap' }, table(t('energy.metersCaption'), [t('energy.meter'), t('energy.model'), numCol(t('energy.counter')), numCol(t('energy.power')), t('energy.lastReading'), t('energy.status')], meterBody, { class: 'meters' })),
          ),
        ],
  );
  return {
    title: t('energy.title'),
    el,
    dispose() {
      disposed = true;
      for (const d of disposers) d();
      clearTimeout(refreshTimer);
      clearInterval(statusTimer);
      chart?.destroy();
    },
  };
}
