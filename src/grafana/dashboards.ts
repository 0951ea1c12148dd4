import type * as cog from '@grafana/grafana-foundation-sdk/cog';
import {
  DashboardBuilder,
  DashboardCursorSync,
  DashboardLinkBuilder,
  DashboardLinkType,
  type Dashboard,
  type Panel,
  type RowPanel,
  type VariableModel,
} from '@grafana/grafana-foundation-sdk/dashboard';
import { READING_KINDS, type Measurement } from '../domain/readings.js';
import type { Catalog } from '../registry/catalog.js';
import { InfluxQLQueryBuilder, alternation, ident } from './influxql.js';
import {
  PanelIds,
  booleanMapping,
  counterPerBucket,
  counterTotal,
  countOver,
  deviceStates,
  devicesInStateNow,
  gauge,
  latest,
  meanOver,
  row,
  stat,
  stateCountTransformations,
  stateTimeline,
  table,
  tagVariable,
  timeSeries,
  where,
  type Filter,
  type Series,
} from './panels.js';
import {
  MEASUREMENT_INFO,
  THRESHOLDS,
  catalogReadings,
  dashboardMeasurements,
  humanInterval,
  modelsSorted,
  withUnit,
  type CatalogReading,
  type DashboardKey,
} from './vocabulary.js';

/**
 * The Stadtpuls dashboards, generated from the device catalog and the reading vocabulary: a reading that some
 * catalog model produces gets its panels (consumption for counters, a state per device for booleans, a time
 * series for the rest), titled with its German label and unit. Queries are InfluxQL over the schema in the README.
 */

type PanelLike = cog.Builder<Panel>;
type Item = PanelLike | { row: cog.Builder<RowPanel> };

interface Spec {
  readonly key: DashboardKey;
  readonly title: string;
  readonly description: string;
  readonly time: string;
  readonly variables: readonly cog.Builder<VariableModel>[];
  readonly items: readonly Item[];
}

export const DASHBOARD_UIDS: Readonly<Record<DashboardKey, string>> = {
  energie: 'stadtpuls-energie',
  parken: 'stadtpuls-parken',
  pegel: 'stadtpuls-pegel',
  geraete: 'stadtpuls-geraete',
};

export const TAG = 'stadtpuls';

function assemble(spec: Spec): Dashboard {
  const b = new DashboardBuilder(spec.title)
    .uid(DASHBOARD_UIDS[spec.key])
    .description(spec.description)
    .tags([TAG])
    .editable()
    .tooltip(DashboardCursorSync.Crosshair)
    .timezone('browser')
    .time({ from: spec.time, to: 'now' })
    .refresh('5m')
    .link(new DashboardLinkBuilder('Stadtpuls').type(DashboardLinkType.Dashboards).tags([TAG]).asDropdown(true).keepTime(true).includeVars(false));
  for (const v of spec.variables) b.withVariable(v);
  for (const item of spec.items) {
    if ('row' in item) b.withRow(item.row);
    else b.withPanel(item);
  }
  const dashboard = b.build();
  layout(dashboard.panels ?? []);
  return dashboard;
}

/** Left to right, top to bottom on Grafana's 24-column grid; a panel that does not fit starts a new line. */
function layout(panels: readonly (Panel | RowPanel)[]): void {
  let x = 0;
  let y = 0;
  let lineHeight = 0;
  for (const p of panels) {
    const pos = p.gridPos ?? { x: 0, y: 0, w: 24, h: 8 };
    if (p.type === 'row' || x + pos.w > 24) {
      y += lineHeight;
      x = 0;
      lineHeight = 0;
    }
    p.gridPos = { h: pos.h, w: pos.w, x, y };
    x += pos.w;
    lineHeight = Math.max(lineHeight, pos.h);
    if (p.type === 'row') x = 24;
  }
}

const label = (r: CatalogReading) => r.kind.label.de;

/** What a counter's difference is called: "Wasserzählerstand" → "Wasserverbrauch"; energy labels stay. */
const consumption = (r: CatalogReading) => label(r).replace(/zählerstand$/, 'verbrauch');

/** Panels of one reading, by kind: counters → consumption, booleans → state per device, numbers → time series. */
function readingPanels(ids: PanelIds, s: Series, r: CatalogReading, groupLabel: string): PanelLike[] {
  const { name, kind } = r;
  if (kind.counter) {
    return [
      timeSeries(ids, { title: withUnit(`${consumption(r)} je Stunde`, kind.unit), unit: kind.unit, bars: true, width: 8, min: 0 }, [counterPerBucket(s, name, '1h')]),
      timeSeries(ids, { title: withUnit(`${consumption(r)} je Tag`, kind.unit), unit: kind.unit, bars: true, width: 8, min: 0 }, [counterPerBucket(s, name, '1d')]),
      stat(
        ids,
        {
          title: withUnit(`${consumption(r)} im Zeitraum`, kind.unit),
          unit: kind.unit,
          width: 4,
          description: 'Summe der stündlichen Zählerdifferenzen im gewählten Zeitraum (für den Vormonat: Zeitraum „Previous month“ wählen).',
        },
        [counterTotal(s, name)],
      ),
      stat(ids, { title: withUnit(`${consumption(r)} diesen Monat`, kind.unit), unit: kind.unit, width: 4, timeFrom: 'now/M' }, [counterTotal(s, name)]),
    ];
  }
  if (kind.type === 'boolean') {
    return [
      stateTimeline(
        ids,
        {
          title: `${label(r)} je Gerät`,
          unit: '',
          width: 24,
          mappings: [booleanMapping('ja', 'red', 'nein', 'green')],
          description: `Letzter gemeldeter Zustand je Intervall und Gerät (${groupLabel} · DevEUI); ohne Meldung gilt der vorige Zustand.`,
        },
        [deviceStates(s, name)],
      ),
    ];
  }
  if (kind.type === 'string') return [];
  const thresholds = THRESHOLDS[name];
  return [timeSeries(ids, { title: withUnit(label(r), kind.unit), unit: kind.unit, ...(thresholds ? { thresholds } : {}) }, [meanOver(s, name)])];
}

function measurementPanels(ids: PanelIds, catalog: Catalog, m: Measurement, filters: readonly Filter[], groupLabel: string, skip: ReadonlySet<string> = new Set()): PanelLike[] {
  const s: Series = { measurement: m, filters, by: ['site', 'dev_eui'] };
  const readings = catalogReadings(catalog, m).filter((r) => !skip.has(r.name));
  // Counters first: their four panels fill whole lines; the half-width time series follow.
  return [...readings.filter((r) => r.kind.counter), ...readings.filter((r) => !r.kind.counter)].flatMap((r) => readingPanels(ids, s, r, groupLabel));
}

/** Models whose readings include one of the measurements (for per-dashboard device lists). */
function modelsOf(catalog: Catalog, measurements: readonly Measurement[]): string[] {
  const set = new Set<string>(measurements);
  return modelsSorted(catalog)
    .filter((m) => m.readings.some((r) => set.has(READING_KINDS[r.spec.name].measurement)))
    .map((m) => m.id);
}

/** A table of the devices (of some models) with the time of their last uplink. */
function lastSeenTable(ids: PanelIds, filters: readonly Filter[], models: readonly string[] | undefined, o: { title: string; siteLabel: string; description?: string }) {
  const conditions = models ? [`${ident('model')} =~ /^${alternation(models)}$/`] : [];
  // A single selector, so InfluxQL returns the time of that point: the device's last uplink.
  const q = new InfluxQLQueryBuilder(
    `SELECT last("f_cnt") AS "f_cnt" FROM "uplink" WHERE ${where(filters, ...conditions)} GROUP BY "site", "dev_eui", "model"`,
  ).resultFormat('table');
  return table(
    ids,
    {
      title: o.title,
      unit: '',
      height: 9,
      ...(o.description ? { description: o.description } : {}),
      rename: { Time: 'Zuletzt gesehen', dev_eui: 'DevEUI', model: 'Modell', site: o.siteLabel, f_cnt: 'Frame-Zähler' },
    },
    [q],
  );
}

// ---- Energie --------------------------------------------------------------------------------------------

function energie(catalog: Catalog): Dashboard {
  const ids = new PanelIds();
  const measurements = dashboardMeasurements(catalog, 'energie');
  const filters: Filter[] = [{ tag: 'site', variable: 'site' }];
  const items: Item[] = [];
  items.push({ row: row(ids, 'Zähler') });
  items.push(lastSeenTable(ids, filters, modelsOf(catalog, measurements), { title: 'Zähler im Gebäude', siteLabel: 'Gebäude' }));
  for (const m of measurements) {
    items.push({ row: row(ids, MEASUREMENT_INFO[m].de) });
    items.push(...measurementPanels(ids, catalog, m, filters, 'Gebäude'));
    const counters = catalogReadings(catalog, m).filter((r) => r.kind.counter);
    if (counters.length > 0) {
      items.push(
        table(
          ids,
          {
            title: `Zählerstände ${MEASUREMENT_INFO[m].de}`,
            unit: '',
            height: 7,
            hide: ['Time'],
            rename: { dev_eui: 'DevEUI', model: 'Modell', site: 'Gebäude' },
          },
          [latest({ measurement: m, filters, by: ['site', 'dev_eui', 'model'] }, counters.map((r) => ({ field: r.name, as: withUnit(label(r), r.kind.unit) })))],
        ),
      );
    }
  }
  return assemble({
    key: 'energie',
    title: 'Energie',
    description: 'Strom, Wärme, Wasser und Gas je Gebäude: Verbrauch je Stunde, Tag und Monat aus den Zählerständen, Leistung und Durchfluss.',
    time: 'now-7d',
    variables: [tagVariable('site', 'Gebäude', `SHOW TAG VALUES FROM /^${alternation(measurements)}$/ WITH KEY = "site"`)],
    items,
  });
}

// ---- Parken ---------------------------------------------------------------------------------------------

function parken(catalog: Catalog): Dashboard {
  const ids = new PanelIds();
  const filters: Filter[] = [{ tag: 'site', variable: 'zone' }];
  const s: Series = { measurement: 'parking', filters, by: ['site', 'dev_eui'] };
  const readings = catalogReadings(catalog, 'parking');
  const items: Item[] = [];
  if (readings.some((r) => r.name === 'occupied')) {
    items.push({ row: row(ids, 'Belegung') });
    const nowDescription = 'Letzter gemeldeter Zustand jedes Stellplatzes in den letzten 7 Tagen (Sensoren melden bei Änderung und mindestens täglich).';
    const occupiedNow = stat(
      ids,
      { title: 'Belegt', unit: '', width: 6, height: 8, timeFrom: '7d', noValue: '0', description: nowDescription, thresholds: [{ value: null, color: 'orange' }] },
      [devicesInStateNow(s, 'occupied', 'site', true)],
    );
    const freeNow = stat(ids, { title: 'Frei', unit: '', width: 6, height: 8, timeFrom: '7d', noValue: '0', description: nowDescription }, [
      devicesInStateNow(s, 'occupied', 'site', false),
    ]);
    const occupancy = timeSeries(
      ids,
      {
        title: 'Belegte Stellplätze je Zone',
        unit: '',
        width: 12,
        height: 8,
        min: 0,
        decimals: 0,
        description:
          'Stellplätze, deren letzter Zustand im Intervall „belegt“ war (ohne Meldung gilt der vorige Zustand). Gezählt wird in Grafana aus dem Zustand je Stellplatz (InfluxQL kann Wahrheitswerte nicht summieren).',
      },
      [deviceStates(s, 'occupied').resultFormat('table')],
    );
    for (const t of stateCountTransformations('occupied', 'site', 'belegt')) occupancy.withTransformation(t);
    items.push(
      occupiedNow,
      freeNow,
      occupancy,
      stateTimeline(
        ids,
        {
          title: 'Belegung je Stellplatz',
          unit: '',
          width: 24,
          height: 12,
          mappings: [booleanMapping('belegt', 'red', 'frei', 'green')],
          description: 'Zustand je Stellplatz (Zone · DevEUI) über die Zeit; ohne Meldung im Intervall gilt der vorige Zustand.',
        },
        [deviceStates(s, 'occupied')],
      ),
      table(
        ids,
        {
          title: 'Stellplätze',
          unit: '',
          height: 10,
          timeFrom: '7d',
          mappings: [booleanMapping('belegt', 'red', 'frei', 'green')],
          rename: { Time: 'Letzte Meldung', dev_eui: 'DevEUI', model: 'Modell', site: 'Zone', occupied: 'Zustand' },
        },
        [latest({ measurement: 'parking', filters, by: ['site', 'dev_eui', 'model'] }, [{ field: 'occupied', as: 'occupied' }])],
      ),
    );
  }
  const others = readings.filter((r) => r.name !== 'occupied');
  if (others.length > 0) {
    items.push({ row: row(ids, 'Weitere Messwerte') });
    items.push(...measurementPanels(ids, catalog, 'parking', filters, 'Zone', new Set(['occupied'])));
  }
  items.push({ row: row(ids, 'Sensoren') });
  items.push(lastSeenTable(ids, filters, modelsOf(catalog, ['parking']), { title: 'Parksensoren', siteLabel: 'Zone' }));
  return assemble({
    key: 'parken',
    title: 'Parken',
    description: 'Belegung der Stellplätze je Zone: jetzt, im Zeitverlauf und je Stellplatz.',
    time: 'now-24h',
    variables: [tagVariable('zone', 'Zone', 'SHOW TAG VALUES FROM "parking" WITH KEY = "site"')],
    items,
  });
}

// ---- Pegel ----------------------------------------------------------------------------------------------

function pegel(catalog: Catalog): Dashboard {
  const ids = new PanelIds();
  const filters: Filter[] = [{ tag: 'site', variable: 'gauge' }];
  const s: Series = { measurement: 'level', filters, by: ['site', 'dev_eui'] };
  const readings = catalogReadings(catalog, 'level');
  const numeric = readings.filter((r) => r.kind.type === 'float' || r.kind.type === 'integer');
  const items: Item[] = [{ row: row(ids, 'Aktuell') }];
  const fill = readings.find((r) => r.name === 'fill');
  if (fill) {
    items.push(
      gauge(ids, { title: withUnit(`${label(fill)} aktuell`, fill.kind.unit), unit: fill.kind.unit, width: 8, min: 0, max: 100, thresholds: THRESHOLDS.fill ?? [] }, [
        latest(s, [{ field: 'fill', as: 'fill' }]).resultFormat('time_series').alias('$tag_site $tag_dev_eui'),
      ]),
    );
  }
  items.push(
    table(
      ids,
      { title: 'Messstellen', unit: '', width: fill ? 16 : 24, hide: ['Time'], rename: { dev_eui: 'DevEUI', model: 'Modell', site: 'Messstelle' } },
      [latest({ measurement: 'level', filters, by: ['site', 'dev_eui', 'model'] }, numeric.map((r) => ({ field: r.name, as: withUnit(label(r), r.kind.unit) })))],
    ),
  );
  items.push({ row: row(ids, 'Verlauf') });
  items.push(...measurementPanels(ids, catalog, 'level', filters, 'Messstelle'));
  items.push({ row: row(ids, 'Sensoren') });
  items.push(lastSeenTable(ids, filters, modelsOf(catalog, ['level']), { title: 'Pegelsensoren', siteLabel: 'Messstelle' }));
  return assemble({
    key: 'pegel',
    title: 'Pegel',
    description: 'Abstand, Pegel und Füllstand der Messstellen mit Warnschwellen (einstellbar in src/grafana/vocabulary.ts).',
    time: 'now-7d',
    variables: [tagVariable('gauge', 'Messstelle', 'SHOW TAG VALUES FROM "level" WITH KEY = "site"')],
    items,
  });
}

// ---- Geräte ---------------------------------------------------------------------------------------------

export const EVENT_TYPES = [
  { event: 'decoder_error', de: 'Decoder-Fehler' },
  { event: 'log', de: 'Netzwerkserver-Meldungen' },
  { event: 'join', de: 'Joins' },
] as const;

function geraete(catalog: Catalog): Dashboard {
  const ids = new PanelIds();
  const filters: Filter[] = [
    { tag: 'model', variable: 'model' },
    { tag: 'site', variable: 'site' },
  ];
  const byDevice: Series = { measurement: 'uplink', filters, by: ['site', 'dev_eui'] };
  const intervals = modelsSorted(catalog)
    .map((m) => `${m.id}: ${humanInterval(m.uplinkIntervalSeconds)}`)
    .join(', ');
  const items: Item[] = [{ row: row(ids, 'Verbindung') }];
  items.push(
    lastSeenTable(ids, filters, undefined, {
      title: 'Zuletzt gesehen',
      siteLabel: 'Ort',
      description: `Letzter Uplink je Gerät. Erwartete Sendeintervalle laut Katalog — ${intervals}.`,
    }),
    timeSeries(ids, { title: 'Uplinks je Stunde', unit: '', bars: true, min: 0, decimals: 0 }, [
      countOver({ measurement: 'uplink', filters, by: ['model'] }, 'f_cnt', undefined, '1h', 'uplinks'),
    ]),
    timeSeries(ids, { title: 'Empfangende Gateways', unit: '', min: 0 }, [meanOver(byDevice, 'gateways')]),
    timeSeries(ids, { title: 'RSSI (dBm)', unit: 'dBm' }, [meanOver(byDevice, 'rssi')]),
    timeSeries(ids, { title: 'SNR (dB)', unit: 'dB' }, [meanOver(byDevice, 'snr')]),
  );
  items.push({ row: row(ids, 'Batterie') });
  items.push(...measurementPanels(ids, catalog, 'battery', filters, 'Ort'));
  const status: Series = { measurement: 'device_status', filters, by: ['site', 'dev_eui'] };
  items.push(
    timeSeries(
      ids,
      {
        title: 'Batterieladung laut Netzwerkserver (%)',
        unit: '%',
        min: 0,
        max: 100,
        thresholds: THRESHOLDS.battery ?? [],
        description: 'battery_level aus den Statusmeldungen (DevStatusAns) von ChirpStack.',
      },
      [meanOver(status, 'battery_level')],
    ),
    timeSeries(ids, { title: 'Link-Margin (dB)', unit: 'dB', description: 'margin aus den Statusmeldungen (DevStatusAns).' }, [meanOver(status, 'margin')]),
  );
  const environment = dashboardMeasurements(catalog, 'geraete').filter((m) => m !== 'battery');
  for (const m of environment) {
    items.push({ row: row(ids, MEASUREMENT_INFO[m].de) });
    items.push(...measurementPanels(ids, catalog, m, filters, 'Ort'));
  }
  items.push({ row: row(ids, 'Ereignisse') });
  const events: Series = { measurement: 'device_event', filters, by: ['model'] };
  items.push(
    ...EVENT_TYPES.map((e) =>
      timeSeries(ids, { title: `${e.de} je Stunde`, unit: '', bars: true, width: 8, min: 0, decimals: 0 }, [
        countOver(events, 'event', `"event" = '${e.event}'`, '1h', e.event),
      ]),
    ),
    table(
      ids,
      {
        title: 'Letzte Ereignisse',
        unit: '',
        height: 10,
        rename: { Time: 'Zeit', dev_eui: 'DevEUI', model: 'Modell', event: 'Ereignis', reason: 'Grund', description: 'Beschreibung', level: 'Stufe', code: 'Code', dev_addr: 'DevAddr' },
      },
      [
        new InfluxQLQueryBuilder(
          `SELECT "event", "reason", "description", "level", "code", "dev_addr", "dev_eui", "model" FROM "device_event" WHERE ${where(filters)} ORDER BY time DESC LIMIT 200`,
        ).resultFormat('table'),
      ],
    ),
  );
  return assemble({
    key: 'geraete',
    title: 'Geräte',
    description: 'Zustand der Geräte: zuletzt gesehen, Funk (RSSI, SNR), Batterie und Ereignisse (Decoder-Fehler, Joins, Meldungen des Netzwerkservers).',
    time: 'now-24h',
    variables: [
      tagVariable('model', 'Modell', 'SHOW TAG VALUES FROM "uplink" WITH KEY = "model"'),
      tagVariable('site', 'Ort', 'SHOW TAG VALUES FROM "uplink" WITH KEY = "site"'),
    ],
    items,
  });
}

export interface GeneratedDashboard {
  readonly key: DashboardKey;
  readonly file: string;
  readonly dashboard: Dashboard;
}

/** All dashboards, in a fixed order. */
export function buildDashboards(catalog: Catalog): GeneratedDashboard[] {
  return [
    { key: 'energie', file: 'energie.json', dashboard: energie(catalog) },
    { key: 'parken', file: 'parken.json', dashboard: parken(catalog) },
    { key: 'pegel', file: 'pegel.json', dashboard: pegel(catalog) },
    { key: 'geraete', file: 'geraete.json', dashboard: geraete(catalog) },
  ];
}
