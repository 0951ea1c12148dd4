/**
 * Pegel (technician, facility): current level per gauge with its thresholds, a trend chart, and the open alarms
 * (level and offline) with an acknowledge button (POST /api/alarms/:id/ack). Live from the snapshot and deltas.
 */
import type { AlarmState } from '../../live/events.js';
import type { GaugeUpdate } from '../../live/protocol.js';
import { ApiError, api, get } from '../api.js';
import type { Chart } from '../chart.js';
import { h, numCol, replace, table } from '../dom.js';
import * as f from '../format.js';
import { t } from '../i18n/index.js';
import { live } from '../live.js';
import { PALETTE } from '../palette.js';
import { heading, statusLine, type View } from './view.js';

const state: { selected?: string } = {};

function thresholdText(g: GaugeUpdate): string {
  const th = g.thresholds;
  if (!th) return t('levels.noThresholds');
  const op = th.direction === 'above' ? '≥' : '≤';
  const parts = [
    th.warning !== undefined ? `${t('levels.severity.warning')} ${op} ${f.cm(th.warning)}` : null,
    th.alarm !== undefined ? `${t('levels.severity.alarm')} ${op} ${f.cm(th.alarm)}` : null,
  ].filter(Boolean);
  return `${parts.join(' · ')} (${t('levels.hysteresis', { value: f.cm(th.hysteresisMm) })})`;
}

export async function levelsView(): Promise<View> {
  const names = new Map<string, string>();
  await get<{ devices: { devEui: string; name: string }[] }>('/api/devices?limit=10000')
    .then((r) => r.devices.forEach((d) => names.set(d.devEui, d.name)))
    .catch(() => undefined);
  const nameOf = (devEui: string) => live.gauges.get(devEui)?.name ?? names.get(devEui) ?? devEui;

  const gaugeBody = h('tbody');
  const alarmBody = h('tbody');
  const chartTitle = h('h2', { id: 'levels-chart' });
  const chartEl = h('div', { class: 'chart', role: 'img' });
  const chartSummary = h('p', { class: 'status-line' });
  const ackStatus = h('p', { class: 'status-line', role: 'status', 'aria-live': 'polite' });
  let chart: Chart | undefined;
  let chartKey = '';
  let disposed = false;

  function renderGauges(): void {
    const gauges = [...live.gauges.values()].sort((a, b) => (a.name ?? a.devEui).localeCompare(b.name ?? b.devEui, undefined, { numeric: true }));
    if (!state.selected || !live.gauges.has(state.selected)) state.selected = gauges[0]?.devEui;
    replace(
      gaugeBody,
      gauges.length === 0
        ? h('tr', { class: 'empty' }, h('td', { colspan: 8 }, t('levels.noGauges')))
        : gauges.map((g) =>
            h(
              'tr',
              { dataset: { devEui: g.devEui, severity: g.severity }, class: g.devEui === state.selected ? 'selected' : undefined },
              h('th', { scope: 'row' }, g.name ?? g.devEui),
              h('td', null, f.siteLabel(g.site)),
              h('td', { class: 'num', 'data-col': 'level' }, g.levelMm !== undefined ? f.cm(g.levelMm) : '–'),
              h('td', { class: 'num' }, g.fillPct !== undefined ? f.percent(g.fillPct) : '–'),
              h('td', null, h('span', { class: `badge ${g.severity}` }, t(`levels.severity.${g.severity}`))),
              h('td', null, thresholdText(g)),
              h('td', null, g.time ? h('time', { datetime: g.time, title: f.dateTime(g.time) }, f.relative(g.time)) : t('common.never')),
              h(
                'td',
                null,
                h(
                  'button',
                  {
                    type: 'button',
                    'aria-pressed': g.devEui === state.selected ? 'true' : 'false',
                    onclick: () => {
                      state.selected = g.devEui;
                      renderGauges();
                      void renderChart(true);
                    },
                  },
                  t('levels.showTrend'),
                  h('span', { class: 'sr-only' }, ` ${g.name ?? g.devEui}`),
                ),
              ),
            ),
          ),
    );
  }

  async function renderChart(force = false): Promise<void> {
    const g = state.selected ? live.gauges.get(state.selected) : undefined;
    const points = g ? (live.trends.get(g.devEui) ?? []) : [];
    const key = `${g?.devEui}|${points.length}|${points.at(-1)?.time}|${JSON.stringify(g?.thresholds)}`;
    if (!force && key === chartKey) return;
    chartKey = key;
    chartTitle.textContent = g ? t('levels.trendTitle', { name: g.name ?? g.devEui }) : t('levels.trend');
    chart?.destroy();
    chart = undefined;
    if (!g || points.length === 0) {
      replace(chartEl, statusLine(t('levels.noTrend')));
      chartSummary.textContent = '';
      return;
    }
    const x = points.map((p) => Date.parse(p.time) / 1000);
    const last = points.at(-1)!;
    const summary = t('levels.trendSummary', { n: points.length, level: f.cm(last.levelMm), time: f.time(last.time) });
    chartEl.setAttribute('aria-label', `${chartTitle.textContent}: ${summary}`);
    chartSummary.textContent = summary;
    const { lineChart } = await import('../chart.js');
    if (disposed) return;
    replace(chartEl);
    const th = g.thresholds;
    chart = lineChart(
      chartEl,
      x,
      [
        { label: t('levels.level'), values: points.map((p) => p.levelMm / 10), color: PALETTE.chart },
        ...(th?.warning !== undefined ? [{ label: t('levels.severity.warning'), values: points.map(() => th.warning! / 10), color: PALETTE.warning, dash: [6, 4], width: 1.5 }] : []),
        ...(th?.alarm !== undefined ? [{ label: t('levels.severity.alarm'), values: points.map(() => th.alarm! / 10), color: PALETTE.alarm, dash: [2, 3], width: 1.5 }] : []),
      ],
      { tick: (ms, step) => f.axisTime(ms, step), value: (v, d) => f.num(v, d), unit: 'cm' },
    );
  }

  function alarmText(a: AlarmState): string {
    if (a.kind === 'offline') return t('levels.alarm.offline');
    const g = live.gauges.get(a.devEui);
    const op = g?.thresholds?.direction === 'below' ? '≤' : '≥';
    return t('levels.alarm.level', {
      level: a.value !== undefined ? f.cm(a.value) : '–',
      op,
      severity: t(`levels.severity.${a.severity}`),
      threshold: a.threshold !== undefined ? f.cm(a.threshold) : '–',
    });
  }

  async function acknowledge(a: AlarmState, button: HTMLButtonElement): Promise<void> {
    button.disabled = true;
    try {
      const updated = await api<AlarmState>('POST', `/api/alarms/${a.id}/ack`);
      live.alarms.set(updated.id, updated);
      ackStatus.textContent = t('levels.acked', { name: nameOf(a.devEui) });
      renderAlarms();
    } catch (err) {
      ackStatus.textContent = t('levels.ackFailed', { message: err instanceof ApiError ? err.message : String(err) });
      button.disabled = false;
    }
  }

  function renderAlarms(): void {
    const alarms = [...live.alarms.values()].sort((a, b) => (a.state === b.state ? Number(b.id) - Number(a.id) : a.state === 'active' ? -1 : 1));
    replace(
      alarmBody,
      alarms.length === 0
        ? h('tr', { class: 'empty' }, h('td', { colspan: 6 }, t('levels.noAlarms')))
        : alarms.map((a) => {
            const button = h('button', { type: 'button', class: 'primary ack' }, t('levels.ack'), h('span', { class: 'sr-only' }, ` ${nameOf(a.devEui)}`));
            button.addEventListener('click', () => void acknowledge(a, button));
            return h(
              'tr',
              { dataset: { alarmId: a.id, devEui: a.devEui, state: a.state, severity: a.severity } },
              h('th', { scope: 'row' }, nameOf(a.devEui)),
              h('td', null, h('span', { class: `badge ${a.severity}` }, t(`levels.severity.${a.severity}`))),
              h('td', null, alarmText(a)),
              h('td', null, h('time', { datetime: a.since }, f.dateTime(a.since))),
              h('td', null, a.state === 'acknowledged' ? t('levels.ackedBy', { who: a.acknowledgedBy ?? '?', time: f.time(a.acknowledgedAt) }) : h('span', { class: 'badge alarm' }, t('levels.state.active'))),
              h('td', null, a.state === 'active' ? button : null),
            );
          }),
    );
  }

  const offGauges = live.on('gauges', () => {
    renderGauges();
    void renderChart();
  });
  const offAlarms = live.on('alarms', renderAlarms);
  const timer = setInterval(renderGauges, 30_000);
  renderGauges();
  renderAlarms();
  void renderChart(true);

  return {
    title: t('levels.title'),
    el: h(
      'section',
      { 'data-view': 'levels' },
      heading(t('levels.title')),
      h(
        'section',
        { 'aria-labelledby': 'levels-alarms' },
        h('h2', { id: 'levels-alarms' }, t('levels.alarmsTitle')),
        ackStatus,
        h('div', { class: 'table-wrap' }, table(t('levels.alarmsCaption'), [t('levels.gauge'), t('levels.severity'), t('levels.message'), t('levels.since'), t('levels.state'), t('levels.action')], alarmBody, { class: 'alarms' })),
      ),
      h(
        'section',
        { 'aria-labelledby': 'levels-gauges' },
        h('h2', { id: 'levels-gauges' }, t('levels.gaugesTitle')),
        h('div', { class: 'table-wrap' }, table(t('levels.gaugesCaption'), [t('levels.gauge'), t('levels.site'), numCol(t('levels.level')), numCol(t('levels.fill')), t('levels.severity'), t('levels.thresholds'), t('levels.time'), t('levels.trend')], gaugeBody, { class: 'gauges' })),
      ),
      h('section', { 'aria-labelledby': 'levels-chart' }, chartTitle, chartEl, chartSummary),
    ),
    dispose() {
      disposed = true;
      offGauges();
      offAlarms();
      clearInterval(timer);
      chart?.destroy();
    },
  };
}
