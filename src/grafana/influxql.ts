import type * as cog from '@grafana/grafana-foundation-sdk/cog';
import type * as common from '@grafana/grafana-foundation-sdk/common';

/**
 * InfluxQL targets for Grafana's InfluxDB data source. The foundation SDK ships no InfluxDB query type, so this
 * is the SDK's documented way to add one: a `cog.Dataquery` variant and its builder. The JSON is Grafana's
 * InfluxDB query model with `rawQuery: true` (the query text is used as written, macros and variables included).
 */

/** The provisioned data source (`dashboards/provisioning/datasources/influxdb.yaml`); every panel refers to it. */
export const DATASOURCE: common.DataSourceRef = Object.freeze({ type: 'influxdb', uid: 'stadtpuls-influxdb' });

export type ResultFormat = 'time_series' | 'table';

export interface InfluxQLQuery {
  refId: string;
  datasource: common.DataSourceRef;
  query: string;
  rawQuery: true;
  resultFormat: ResultFormat;
  alias?: string;
  hide?: boolean;
  _implementsDataqueryVariant(): void;
}

export class InfluxQLQueryBuilder implements cog.Builder<cog.Dataquery> {
  private readonly internal: InfluxQLQuery;

  constructor(query: string) {
    this.internal = {
      refId: 'A',
      datasource: { ...DATASOURCE },
      query,
      rawQuery: true,
      resultFormat: 'time_series',
      _implementsDataqueryVariant() {},
    };
  }

  build(): InfluxQLQuery {
    return this.internal;
  }

  refId(refId: string): this {
    this.internal.refId = refId;
    return this;
  }

  resultFormat(format: ResultFormat): this {
    this.internal.resultFormat = format;
    return this;
  }

  /** Series name pattern, e.g. `$tag_dev_eui` (Grafana's InfluxDB alias syntax). */
  alias(alias: string): this {
    this.internal.alias = alias;
    return this;
  }

  hide(hide: boolean): this {
    this.internal.hide = hide;
    return this;
  }
}

/** A double-quoted InfluxQL identifier. */
export const ident = (name: string): string => `"${name.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;

/** `WHERE` fragment matching a tag against a Grafana template variable (single, multi or All). */
export const tagMatches = (tag: string, variable: string): string => `${ident(tag)} =~ /^$${variable}$/`;

/** An InfluxQL regex alternation of literal names, e.g. for `FROM /^(electricity|heat)$/`. */
export function alternation(names: readonly string[]): string {
  return `(${names.map((n) => n.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')).join('|')})`;
}

/** The time zone of calendar buckets (days); InfluxDB's `tz()` clause. The default of TOWN_TIMEZONE. */
export const TIME_ZONE = 'Europe/Berlin';
