/**
 * Consumption per meter and per building, and meter exchanges, over the HTTP API. Amounts appear under a key
 * named after their unit: `wh` (Wh), `m3` (m³), `pulses`.
 */
import { z } from 'zod';
import { HttpError, parse, principalOf } from '../../api/http.js';
import type { RouteDef } from '../../api/routes.js';
import type { Role } from '../../auth/roles.js';
import { READING_KINDS, isReadingName, type ReadingName } from '../../domain/readings.js';
import { RESOLUTIONS, type Resolution } from './calendar.js';
import { HOUR_MS, counterDelta, fromUnits, toUnits } from './engine.js';
import type { Exchange } from './ledger.js';
import type { EnergyModule, Meter } from './module.js';

const READERS: readonly Role[] = ['facility', 'viewer', 'technician'];
const TECH: readonly Role[] = ['technician'];
const DAY_MS = 24 * HOUR_MS;

/** Longest range per resolution, and the default one when `from` is not given. */
const MAX_RANGE: Record<Resolution, { ms: number; text: string }> = {
  hour: { ms: 31 * DAY_MS, text: '31 days' },
  day: { ms: 1100 * DAY_MS, text: '1100 days' },
  month: { ms: 100 * 366 * DAY_MS, text: '100 years' },
};
const DEFAULT_RANGE: Record<Resolution, number> = { hour: DAY_MS, day: 31 * DAY_MS, month: 366 * DAY_MS };

const AMOUNT_KEY: Readonly<Record<string, string>> = { Wh: 'wh', 'm³': 'm3', '': 'pulses' };
const amountKey = (reading: ReadingName) => AMOUNT_KEY[READING_KINDS[reading].unit] ?? 'amount';

const TIME_HINT = 'an ISO 8601 time with offset (2025-03-30T12:00:00+02:00) or a local date (2025-03-30)';
const when = z.string().refine((s) => z.iso.datetime({ offset: true }).safeParse(s).success || z.iso.date().safeParse(s).success, `expected ${TIME_HINT}`);
const devEuiParams = z.object({ devEui: z.string().regex(/^[0-9a-fA-F]{16}$/, 'DevEUI must be 16 hex digits') });
const buildingParams = z.object({ id: z.string().regex(/^[A-Za-z0-9_.-]{1,64}$/, 'building id: letters, digits, "_", "." and "-", at most 64') });
const consumptionQuery = z.object({
  resolution: z.enum(RESOLUTIONS, { error: 'resolution must be one of hour, day, month' }).default('day'),
  from: when.optional(),
  to: when.optional(),
  reading: z.string().optional(),
});
const exchangeBody = z.object({
  time: z.iso.datetime({ offset: true, error: 'expected an ISO 8601 time with offset, e.g. 2025-06-02T10:15:00+02:00' }),
  oldFinal: z.number().finite().nonnegative(),
  newStart: z.number().finite().nonnegative(),
  reading: z.string().optional(),
});

const bad = (message: string) => new HttpError(400, 'invalid_request', message, [message]);

export function energyRoutes(m: EnergyModule): RouteDef[] {
  const cal = m.calendar;
  const audit = m.ctx.log.child({ module: 'audit' });

  /** A local date is that day's first instant in the town's time zone. */
  const instant = (s: string) => (/^\d{4}-\d{2}-\d{2}$/.test(s) ? cal.startOfDate(Number(s.slice(0, 4)), Number(s.slice(5, 7)), Number(s.slice(8, 10))) : Date.parse(s));

  const findMeter = (devEui: string): Meter => {
    const meter = m.meter(devEui.toLowerCase());
    if (!meter) throw new HttpError(404, 'not_found', `unknown device ${devEui.toLowerCase()}`);
    if (meter.readings.length === 0) throw new HttpError(404, 'not_found', `device ${meter.devEui} (model ${meter.model.id}) is not a meter: its model has no counter readings`);
    return meter;
  };

  const pickReading = (name: string | undefined, available: readonly ReadingName[], of: string): ReadingName[] => {
    if (name === undefined) return [...available];
    if (!isReadingName(name) || !available.includes(name)) throw bad(`reading: ${name} is not a counter reading of ${of} (available: ${available.join(', ')})`);
    return [name];
  };

  /** The answer shared by meters and buildings: one series per counter reading, buckets summed over `devEuis`. */
  const consumption = (query: unknown, devEuis: readonly string[], available: readonly ReadingName[], of: string) => {
    const q = parse(consumptionQuery, query);
    const to = q.to !== undefined ? instant(q.to) : m.ctx.now();
    const from = q.from !== undefined ? instant(q.from) : to - DEFAULT_RANGE[q.resolution];
    if (from >= to) throw bad(`from (${cal.iso(from)}) must be before to (${cal.iso(to)})`);
    const max = MAX_RANGE[q.resolution];
    if (to - from > max.ms) {
      throw bad(`range too large for resolution=${q.resolution}: at most ${max.text} (asked for ${Math.ceil((to - from) / DAY_MS)} days)${q.resolution === 'hour' ? '; use resolution=day' : ''}`);
    }
    const start = cal.bucketStart(q.resolution, from);
    const series = pickReading(q.reading, available, of).map((reading) => {
      const key = amountKey(reading);
      const rows = m.ledger.buckets(devEuis, reading, q.resolution, start, to);
      const total = rows.reduce((sum, r) => sum + r.amount, 0);
      return {
        reading,
        measurement: READING_KINDS[reading].measurement,
        unit: READING_KINDS[reading].unit,
        total: { [key]: fromUnits(total, reading) },
        buckets: rows.map((r) => ({ start: cal.iso(r.start), end: cal.iso(cal.bucketEnd(q.resolution, r.start)), [key]: fromUnits(r.amount, reading) })),
      };
    });
    return { resolution: q.resolution, timeZone: cal.timeZone, from: cal.iso(start), to: cal.iso(to), series };
  };

  const exchangeJson = (e: Exchange) => {
    const reading = e.reading as ReadingName;
    return {
      reading,
      time: cal.iso(e.t),
      oldFinal: fromUnits(e.oldFinal, reading),
      newStart: fromUnits(e.newStart, reading),
      unit: READING_KINDS[reading].unit,
      recordedBy: e.recordedBy,
      recordedAt: e.recordedAt,
    };
  };

  return [
    {
      method: 'get',
      path: '/api/meters/:devEui/consumption',
      access: READERS,
      summary: 'Consumption of a meter per hour, local day or month: ?resolution=hour|day|month&from&to&reading',
      handler: (req, res) => {
        const meter = findMeter(parse(devEuiParams, req.params).devEui);
        const body = consumption(req.query, [meter.devEui], meter.readings, `device ${meter.devEui} (model ${meter.model.id})`);
        res.json({ devEui: meter.devEui, model: meter.model.id, ...(meter.site !== undefined ? { site: meter.site } : {}), ...body });
      },
    },
    {
      method: 'get',
      path: '/api/buildings/:id/consumption',
      access: READERS,
      summary: "Consumption of a building's meters, summed per counter reading",
      handler: (req, res) => {
        const { id } = parse(buildingParams, req.params);
        const meters = m.metersOf(id);
        if (meters.length === 0) throw new HttpError(404, 'not_found', `unknown building ${id}: no meter has site ${id}`);
        const available = (Object.keys(READING_KINDS) as ReadingName[]).filter((r) => meters.some((x) => x.readings.includes(r)));
        const body = consumption(req.query, meters.map((x) => x.devEui), available, `building ${id}`);
        res.json({ building: id, meters: meters.map((x) => x.devEui), ...body });
      },
    },
    {
      method: 'get',
      path: '/api/meters/:devEui/exchanges',
      access: TECH,
      summary: 'Recorded meter exchanges of a device',
      handler: (req, res) => {
        const meter = findMeter(parse(devEuiParams, req.params).devEui);
        res.json({ devEui: meter.devEui, exchanges: m.ledger.exchanges(meter.devEui).map(exchangeJson) });
      },
    },
    {
      method: 'post',
      path: '/api/meters/:devEui/exchanges',
      access: TECH,
      summary: "Record a meter exchange {time, oldFinal, newStart, reading?}: the old meter's final and the new one's start reading",
      handler: async (req, res) => {
        const meter = findMeter(parse(devEuiParams, req.params).devEui);
        const body = parse(exchangeBody, req.body);
        const [reading] = pickReading(body.reading ?? meter.readings[0], meter.readings, `device ${meter.devEui} (model ${meter.model.id})`) as [ReadingName];
        const t = Date.parse(body.time);
        const skew = m.skew(t);
        if (skew) throw bad(`time: ${skew}`);
        const exchange: Exchange = {
          devEui: meter.devEui,
          reading,
          t,
          oldFinal: toUnits(body.oldFinal, reading),
          newStart: toUnits(body.newStart, reading),
          recordedBy: principalOf(req).username,
          recordedAt: new Date(m.ctx.now()).toISOString(),
        };
        const unit = READING_KINDS[reading].unit;
        const { prev, next } = m.ledger.neighbours(meter.devEui, reading, { t, before: exchange.oldFinal, after: exchange.newStart, exchange: true });
        if (prev && counterDelta(prev.after, exchange.oldFinal, prev.rollover).kind === 'reset') {
          throw new HttpError(422, 'implausible_exchange', `oldFinal ${body.oldFinal} ${unit} is below the reading before the exchange (${fromUnits(prev.after, reading)} ${unit} at ${cal.iso(prev.t)})`);
        }
        if (next && counterDelta(exchange.newStart, next.before, next.rollover).kind === 'reset') {
          throw new HttpError(422, 'implausible_exchange', `newStart ${body.newStart} ${unit} is above the reading after the exchange (${fromUnits(next.before, reading)} ${unit} at ${cal.iso(next.t)})`);
        }
        const buckets = m.ledger.recordExchange(exchange);
        await m.ctx.write(m.points(buckets, meter.site));
        audit.info({ by: exchange.recordedBy, devEui: meter.devEui, reading, time: body.time, oldFinal: body.oldFinal, newStart: body.newStart }, 'meter exchange recorded');
        res.status(201).json({ devEui: meter.devEui, ...exchangeJson(exchange) });
      },
    },
  ];
}
