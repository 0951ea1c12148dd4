import type * as cog from '@grafana/grafana-foundation-sdk/cog';
import type * as common from '@grafana/grafana-foundation-sdk/common';
import {
  BarAlignment,
  BigValueColorMode,
  BigValueGraphMode,
  BigValueTextMode,
  GraphDrawStyle,
  GraphThresholdsStyleConfigBuilder,
  GraphThresholdsStyleMode,
  LegendDisplayMode,
  LegendPlacement,
  ReduceDataOptionsBuilder,
  SortOrder,
  TooltipDisplayMode,
  VisibilityMode,
  VizLegendOptionsBuilder,
  VizTooltipOptionsBuilder,
} from '@grafana/grafana-foundation-sdk/common';
import {
  MappingType,
  QueryVariableBuilder,
  RowBuilder,
  ThresholdsConfigBuilder,
  ThresholdsMode,
  VariableRefresh,
  VariableSort,
  type DataTransformerConfig,
  type ThresholdsConfig,
  type ValueMapping,
} from '@grafana/grafana-foundation-sdk/dashboard';
import { PanelBuilder as GaugeBuilder } from '@grafana/grafana-foundation-sdk/gauge';
import { PanelBuilder as StatBuilder } from '@grafana/grafana-foundation-sdk/stat';
import { PanelBuilder as StateTimelineBuilder } from '@grafana/grafana-foundation-sdk/statetimeline';
import { PanelBuilder as TableBuilder } from '@grafana/grafana-foundation-sdk/table';
import { PanelBuilder as TimeSeriesBuilder } from '@grafana/grafana-foundation-sdk/timeseries';
import { DATASOURCE, InfluxQLQueryBuilder, TIME_ZONE, ident, tagMatches } from './influxql.js';
import { grafanaUnit, type ThresholdStep } from './vocabulary.js';

/**
 * Panel factories shared by the dashboards. Every panel gets a stable id from its dashboard's `PanelIds`, the
 * provisioned data source and an InfluxQL target; sizes are explicit so the layout is deterministic.
 */

export class PanelIds {
  private next = 1;
  take(): number {
    return this.next++;
  }
}

/** A dashboard's filter: the tag a template variable restricts (e.g. `site` by `$zone`). */
export interface Filter {
  readonly tag: string;
  readonly variable: string;
}

export const where = (filters: readonly Filter[], ...more: string[]): string =>
  [...filters.map((f) => tagMatches(f.tag, f.variable)), ...more, '$timeFilter'].join(' AND ');

const groupTags = (tags: readonly string[]): string => tags.map(ident).join(', ');

export interface PanelOptions {
  readonly title: string;
  readonly unit: string;
  readonly description?: string;
  readonly width?: number;
  readonly height?: number;
  readonly thresholds?: readonly ThresholdStep[];
  readonly min?: number;
  readonly max?: number;
  readonly decimals?: number;
  readonly timeFrom?: string;
  readonly mappings?: ValueMapping[];
  readonly noValue?: string;
}

interface Common {
  id(id: number): unknown;
  title(title: string): unknown;
  description(description: string): unknown;
  datasource(ds: common.DataSourceRef): unknown;
  unit(unit: string): unknown;
  span(w: number): unknown;
  height(h: number): unknown;
  thresholds(t: cog.Builder<ThresholdsConfig>): unknown;
  min(min: number): unknown;
  max(max: number): unknown;
  decimals(decimals: number): unknown;
  timeFrom(timeFrom: string): unknown;
  mappings(mappings: ValueMapping[]): unknown;
  noValue(noValue: string): unknown;
  withTarget(target: cog.Builder<cog.Dataquery>): unknown;
}

function thresholdsConfig(steps: readonly ThresholdStep[]): ThresholdsConfigBuilder {
  return new ThresholdsConfigBuilder().mode(ThresholdsMode.Absolute).steps(steps.map((s) => ({ value: s.value, color: s.color })));
}

function apply<T extends Common>(ids: PanelIds, p: T, o: PanelOptions, targets: readonly cog.Builder<cog.Dataquery>[]): T {
  p.id(ids.take());
  p.title(o.title);
  if (o.description) p.description(o.description);
  p.datasource({ ...DATASOURCE });
  p.unit(grafanaUnit(o.unit));
  p.span(o.width ?? 12);
  p.height(o.height ?? 8);
  p.thresholds(thresholdsConfig(o.thresholds ?? [{ value: null, color: 'green' }]));
  if (o.min !== undefined) p.min(o.min);
  if (o.max !== undefined) p.max(o.max);
  if (o.decimals !== undefined) p.decimals(o.decimals);
  if (o.timeFrom) p.timeFrom(o.timeFrom);
  if (o.mappings) p.mappings(o.mappings);
  if (o.noValue !== undefined) p.noValue(o.noValue);
  targets.forEach((t, i) => {
    if (t instanceof InfluxQLQueryBuilder) t.refId(String.fromCharCode(65 + i));
    p.withTarget(t);
  });
  return p;
}

const legend = () => new VizLegendOptionsBuilder().displayMode(LegendDisplayMode.List).placement(LegendPlacement.Bottom).showLegend(true).calcs([]);
const tooltip = () => new VizTooltipOptionsBuilder().mode(TooltipDisplayMode.Multi).sort(SortOrder.Descending);

export function timeSeries(ids: PanelIds, o: PanelOptions & { bars?: boolean }, targets: readonly cog.Builder<cog.Dataquery>[]): TimeSeriesBuilder {
  const p = apply(ids, new TimeSeriesBuilder(), o, targets).legend(legend()).tooltip(tooltip()).lineWidth(1);
  if (o.bars) p.drawStyle(GraphDrawStyle.Bars).barAlignment(BarAlignment.After).fillOpacity(70).showPoints(VisibilityMode.Never);
  else p.drawStyle(GraphDrawStyle.Line).fillOpacity(10).showPoints(VisibilityMode.Auto).spanNulls(true);
  if (o.thresholds) p.thresholdsStyle(new GraphThresholdsStyleConfigBuilder().mode(GraphThresholdsStyleMode.Dashed));
  return p;
}

export function stat(ids: PanelIds, o: PanelOptions, targets: readonly cog.Builder<cog.Dataquery>[], calc = 'lastNotNull'): StatBuilder {
  return apply(ids, new StatBuilder(), o, targets)
    .reduceOptions(new ReduceDataOptionsBuilder().calcs([calc]).values(false))
    .graphMode(BigValueGraphMode.None)
    .colorMode(BigValueColorMode.Value)
    .textMode(BigValueTextMode.ValueAndName);
}

export function gauge(ids: PanelIds, o: PanelOptions, targets: readonly cog.Builder<cog.Dataquery>[]): GaugeBuilder {
  return apply(ids, new GaugeBuilder(), o, targets)
    .reduceOptions(new ReduceDataOptionsBuilder().calcs(['lastNotNull']).values(false))
    .showThresholdMarkers(true);
}

export function table(
  ids: PanelIds,
  o: PanelOptions & { rename?: Record<string, string>; hide?: readonly string[] },
  targets: readonly cog.Builder<cog.Dataquery>[],
): TableBuilder {
  const p = apply(ids, new TableBuilder(), { width: 24, ...o }, targets).filterable(true);
  const organize: DataTransformerConfig = {
    id: 'organize',
    options: {
      excludeByName: Object.fromEntries((o.hide ?? []).map((c) => [c, true])),
      indexByName: {},
      renameByName: o.rename ?? {},
    },
  };
  // One frame per series (one per device) in InfluxDB's answer: merge them into one table first.
  p.withTransformation({ id: 'merge', options: {} });
  p.withTransformation(organize);
  return p;
}

/** One lane per device showing its state over time (booleans, with value mappings). */
export function stateTimeline(ids: PanelIds, o: PanelOptions, targets: readonly cog.Builder<cog.Dataquery>[]): StateTimelineBuilder {
  return apply(ids, new StateTimelineBuilder(), { height: 10, ...o }, targets)
    .showValue(VisibilityMode.Never)
    .mergeValues(true)
    .fillOpacity(80)
    .legend(legend())
    .tooltip(tooltip());
}

export function row(ids: PanelIds, title: string): RowBuilder {
  return new RowBuilder(title).id(ids.take());
}

/** A `SHOW TAG VALUES` variable (single, multi or All; All matches every value, devices without the tag too). */
export function tagVariable(name: string, label: string, query: string): QueryVariableBuilder {
  return new QueryVariableBuilder(name)
    .label(label)
    .datasource({ ...DATASOURCE })
    .query(query)
    .definition(query)
    .refresh(VariableRefresh.OnTimeRangeChanged)
    .sort(VariableSort.AlphabeticalAsc)
    .multi(true)
    .includeAll(true)
    .allValue('.*')
    .current({ selected: true, text: ['All'], value: ['$__all'] });
}

export const booleanMapping = (trueText: string, trueColor: string, falseText: string, falseColor: string): ValueMapping => ({
  type: MappingType.ValueToText,
  options: {
    true: { text: trueText, color: trueColor, index: 0 },
    false: { text: falseText, color: falseColor, index: 1 },
  },
});

// ---- InfluxQL --------------------------------------------------------------------------------------------

export interface Series {
  readonly measurement: string;
  readonly filters: readonly Filter[];
  /** Tags a series is split by (and named after). */
  readonly by: readonly string[];
}

const alias = (by: readonly string[]) => by.map((t) => `$tag_${t}`).join(' ');

/**
 * Consumption of a monotonic counter per calendar bucket: the difference between the last reading of a bucket
 * and the last reading of the bucket before (`non_negative_difference`, so a meter reset shows no negative
 * spike). Days are calendar days in `TIME_ZONE`.
 */
export function counterPerBucket(s: Series, field: string, bucket: '1h' | '1d'): InfluxQLQueryBuilder {
  const f = ident(field);
  const tz = bucket === '1d' ? ` tz('${TIME_ZONE}')` : '';
  return new InfluxQLQueryBuilder(
    `SELECT non_negative_difference(last(${f})) AS ${f} FROM ${ident(s.measurement)} WHERE ${where(s.filters)} GROUP BY time(${bucket}), ${groupTags(s.by)} fill(none)${tz}`,
  ).alias(alias(s.by));
}

/** Consumption over the panel's whole time range: the sum of the hourly differences. */
export function counterTotal(s: Series, field: string): InfluxQLQueryBuilder {
  const f = ident(field);
  return new InfluxQLQueryBuilder(
    `SELECT sum(${f}) AS ${f} FROM (SELECT non_negative_difference(last(${f})) AS ${f} FROM ${ident(s.measurement)} WHERE ${where(s.filters)} GROUP BY time(1h), ${groupTags(s.by)} fill(none)) GROUP BY ${groupTags(s.by)}`,
  ).alias(alias(s.by));
}

export function meanOver(s: Series, field: string, interval = '$__interval'): InfluxQLQueryBuilder {
  const f = ident(field);
  return new InfluxQLQueryBuilder(
    `SELECT mean(${f}) AS ${f} FROM ${ident(s.measurement)} WHERE ${where(s.filters)} GROUP BY time(${interval}), ${groupTags(s.by)} fill(none)`,
  ).alias(alias(s.by));
}

export function countOver(s: Series, field: string, condition: string | undefined, interval = '$__interval', name = 'Anzahl'): InfluxQLQueryBuilder {
  return new InfluxQLQueryBuilder(
    `SELECT count(${ident(field)}) AS ${ident(name)} FROM ${ident(s.measurement)} WHERE ${where(s.filters, ...(condition ? [condition] : []))} GROUP BY time(${interval})${s.by.length ? `, ${groupTags(s.by)}` : ''} fill(0)`,
  ).alias(s.by.length ? alias(s.by) : name);
}

/**
 * Each device's state per interval: its last report in the interval, carried forward through intervals without
 * a report (`fill(previous)`; parking sensors report on change). A top-level query on purpose: InfluxQL (1.x and
 * 2.x) mis-merges series when an outer query aggregates a subquery that uses `fill()` (influxdb#9317, #16960),
 * so counting devices per zone happens in Grafana (`stateCountTransformations`), not in a subquery.
 */
export function deviceStates(s: Series, field: string, interval = '$__interval'): InfluxQLQueryBuilder {
  const f = ident(field);
  return new InfluxQLQueryBuilder(
    `SELECT last(${f}) AS ${f} FROM ${ident(s.measurement)} WHERE ${where(s.filters)} GROUP BY time(${interval}), ${groupTags(s.by)} fill(previous)`,
  ).alias(alias(s.by));
}

/**
 * Grafana transformations turning `deviceStates` (table format: Time, group tag, dev_eui, state) into one series
 * per group: the number of devices whose state is `true`, per interval (true → 1, false → 0, summed).
 */
export function stateCountTransformations(field: string, groupTag: string, name: string): DataTransformerConfig[] {
  return [
    { id: 'merge', options: {} }, // one table, whether the data source sends one frame or one per series
    { id: 'convertFieldType', options: { conversions: [{ destinationType: 'number', targetField: field }], fields: {} } },
    {
      id: 'groupBy',
      options: {
        fields: {
          Time: { aggregations: [], operation: 'groupby' },
          [groupTag]: { aggregations: [], operation: 'groupby' },
          [field]: { aggregations: ['sum'], operation: 'aggregate' },
        },
      },
    },
    { id: 'sortBy', options: { fields: {}, sort: [{ desc: false, field: 'Time' }] } },
    { id: 'organize', options: { excludeByName: {}, indexByName: {}, renameByName: { [`${field} (sum)`]: name } } },
    { id: 'partitionByValues', options: { fields: [groupTag], keepFields: false, naming: { asLabels: true } } },
  ];
}

/** The number of devices whose latest state in the time range is `value` (no `fill()`: this subquery is safe). */
export function devicesInStateNow(s: Series, field: string, groupBy: string, value: boolean): InfluxQLQueryBuilder {
  const f = ident(field);
  return new InfluxQLQueryBuilder(
    `SELECT count(${f}) AS ${f} FROM (SELECT last(${f}) AS ${f} FROM ${ident(s.measurement)} WHERE ${where(s.filters)} GROUP BY ${ident(groupBy)}, "dev_eui") WHERE ${f} = ${value} GROUP BY ${ident(groupBy)}`,
  ).alias(`$tag_${groupBy}`);
}

/** One row per device with the latest value of each field (a table query). */
export function latest(s: Series, fields: readonly { field: string; as: string }[]): InfluxQLQueryBuilder {
  const select = fields.map((x) => `last(${ident(x.field)}) AS ${ident(x.as)}`).join(', ');
  return new InfluxQLQueryBuilder(`SELECT ${select} FROM ${ident(s.measurement)} WHERE ${where(s.filters)} GROUP BY ${groupTags(s.by)}`).resultFormat('table');
}

