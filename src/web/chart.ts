/**
 * Charts with uPlot (canvas). A chart is never the only carrier of its numbers: every view puts a table or a
 * text summary beside it, and the canvas gets role="img" with a label.
 */
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import { appConfig } from './config.js';
import { PALETTE } from './palette.js';

export interface Chart {
  readonly plot: uPlot;
  destroy(): void;
}

export interface SeriesSpec {
  readonly label: string;
  readonly values: readonly (number | null)[];
  readonly color: string;
  readonly dash?: readonly number[];
  readonly fill?: string;
  readonly width?: number;
}

function mount(el: HTMLElement, opts: Omit<uPlot.Options, 'width' | 'height'>, data: uPlot.AlignedData, height: number): Chart {
  const width = () => Math.max(280, el.clientWidth || 600);
  const plot = new uPlot({ ...opts, width: width(), height }, data, el);
  const ro = new ResizeObserver(() => plot.setSize({ width: width(), height }));
  ro.observe(el);
  return {
    plot,
    destroy() {
      ro.disconnect();
      plot.destroy();
    },
  };
}

const axisStyle = { stroke: PALETTE.muted, grid: { stroke: '#e3e7eb', width: 1 }, ticks: { stroke: '#c9cfd6', width: 1 } };
const tzDate = (ts: number) => uPlot.tzDate(new Date(ts * 1e3), appConfig().timeZone);

/** Axis values with as many decimals as the step between ticks needs. */
export function stepDecimals(splits: readonly number[]): number {
  const step = splits.length > 1 ? Math.abs(splits[1]! - splits[0]!) : 1;
  return step > 0 && step < 1 ? Math.min(3, Math.ceil(-Math.log10(step) - 1e-9)) : 0;
}

/** Bars over time: x in seconds (bucket starts), one series; `range` the time window shown (seconds). */
export function barChart(
  el: HTMLElement,
  x: readonly number[],
  series: SeriesSpec,
  opts: { tick: (ms: number) => string; value: (v: number, decimals: number) => string; unit: string; range?: readonly [number, number]; height?: number },
): Chart {
  const range = opts.range;
  return mount(
    el,
    {
      tzDate,
      legend: { show: false },
      cursor: { drag: { x: false, y: false }, points: { show: false } },
      scales: { x: { time: true, ...(range ? { range: () => [range[0], range[1]] as [number, number] } : {}) }, y: { range: (_u, _min, max) => [0, max > 0 ? max * 1.1 : 1] } },
      axes: [
        { ...axisStyle, values: (_u, splits) => splits.map((s) => opts.tick(s * 1000)) },
        { ...axisStyle, size: 70, label: opts.unit, values: (_u, splits) => splits.map((v) => opts.value(v, stepDecimals(splits))) },
      ],
      series: [
        {},
        {
          label: series.label,
          stroke: series.color,
          fill: series.fill ?? series.color,
          width: 1,
          paths: uPlot.paths.bars!({ size: [0.7, 48], align: 1 }),
          points: { show: false },
        },
      ],
    },
    [x as number[], series.values as (number | null)[]],
    opts.height ?? 260,
  );
}

/** Lines over time: x in seconds. */
export function lineChart(el: HTMLElement, x: readonly number[], series: readonly SeriesSpec[], opts: { tick: (ms: number, stepSeconds: number) => string; value: (v: number, decimals: number) => string; unit: string; height?: number }): Chart {
  return mount(
    el,
    {
      tzDate,
      legend: { show: series.length > 1, live: false },
      cursor: { drag: { x: false, y: false } },
      scales: { x: { time: true } },
      axes: [
        { ...axisStyle, values: (_u, splits) => splits.map((s) => opts.tick(s * 1000, splits.length > 1 ? splits[1]! - splits[0]! : 3600)) },
        { ...axisStyle, size: 70, label: opts.unit, values: (_u, splits) => splits.map((v) => opts.value(v, stepDecimals(splits))) },
      ],
      series: [
        {},
        ...series.map((s) => ({
          label: s.label,
          stroke: s.color,
          width: s.width ?? 2,
          ...(s.dash ? { dash: [...s.dash] } : {}),
          ...(s.fill ? { fill: s.fill } : {}),
          points: { show: s.values.length < 60 && !s.dash },
          spanGaps: true,
        })),
      ],
    },
    [x as number[], ...series.map((s) => s.values as (number | null)[])],
    opts.height ?? 260,
  );
}
