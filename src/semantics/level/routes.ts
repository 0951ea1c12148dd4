import { z } from 'zod';
import type { RouteDef } from '../../api/routes.js';
import { HttpError, parse, principalOf } from '../../api/http.js';
import type { Role } from '../../auth/roles.js';
import type { LevelModule } from './module.js';
import { thresholdsSchema } from './thresholds.js';

const WATCH: readonly Role[] = ['technician', 'facility'];
const CONFIGURE: readonly Role[] = ['technician'];

const devEuiParams = z.object({ devEui: z.string().regex(/^[0-9a-fA-F]{16}$/, 'DevEUI: 16 hex digits').transform((s) => s.toLowerCase()) });
const alarmParams = z.object({ id: z.string().regex(/^[1-9][0-9]{0,15}$/, 'alarm id: a positive integer') });
const alarmQuery = z.object({
  state: z.enum(['active', 'acknowledged', 'cleared']).optional(),
  kind: z.enum(['level', 'offline']).optional(),
  devEui: z.string().regex(/^[0-9a-fA-F]{16}$/).transform((s) => s.toLowerCase()).optional(),
});

/** Gauges, their thresholds, and the alarm list with acknowledgement (level and offline alarms alike). */
export function levelRoutes(level: LevelModule): RouteDef[] {
  const gauge = (devEui: string) => {
    const g = level.gaugeView(devEui);
    if (!g) throw new HttpError(404, 'not_found', `${devEui} is not a level gauge`);
    return g;
  };
  return [
    {
      method: 'get',
      path: '/api/gauges',
      access: WATCH,
      summary: 'Level gauges with their newest level (mm), fill (%), severity and thresholds',
      handler: (_req, res) => res.json(level.gaugeViews()),
    },
    {
      method: 'get',
      path: '/api/gauges/:devEui/thresholds',
      access: WATCH,
      summary: 'A gauge\'s thresholds',
      handler: (req, res) => {
        const { devEui } = parse(devEuiParams, req.params);
        const t = level.getThresholds(devEui);
        if (!t) throw new HttpError(404, 'not_found', `${devEui} has no thresholds`);
        res.json(t);
      },
    },
    {
      method: 'put',
      path: '/api/gauges/:devEui/thresholds',
      access: CONFIGURE,
      summary: 'Set a gauge\'s thresholds {direction: "above"|"below", warning?, alarm?, hysteresisMm = 50} (level in mm); they apply from the next uplink',
      handler: (req, res) => {
        const { devEui } = parse(devEuiParams, req.params);
        const thresholds = parse(thresholdsSchema, req.body);
        gauge(devEui);
        res.json(level.setThresholds(devEui, thresholds, principalOf(req).username));
      },
    },
    {
      method: 'delete',
      path: '/api/gauges/:devEui/thresholds',
      access: CONFIGURE,
      summary: 'Remove a gauge\'s thresholds (its alarm clears with the next uplink)',
      handler: (req, res) => {
        const { devEui } = parse(devEuiParams, req.params);
        if (!level.deleteThresholds(devEui)) throw new HttpError(404, 'not_found', `${devEui} has no thresholds`);
        res.status(204).end();
      },
    },
    {
      method: 'get',
      path: '/api/alarms',
      access: WATCH,
      summary: 'Alarms (level and offline), newest first; filter with ?state=active|acknowledged|cleared, ?kind=level|offline, ?devEui=',
      handler: (req, res) => res.json(level.listAlarms(parse(alarmQuery, req.query))),
    },
    {
      method: 'post',
      path: '/api/alarms/:id/ack',
      access: WATCH,
      summary: 'Acknowledge an active alarm (who and when are recorded)',
      handler: (req, res) => {
        const { id } = parse(alarmParams, req.params);
        const result = level.acknowledge(id, principalOf(req).username);
        if (result.ok) return void res.json(result.alarm);
        if (result.why === 'not_found') throw new HttpError(404, 'not_found', `alarm ${id} does not exist`);
        throw new HttpError(409, 'conflict', result.why === 'cleared' ? `alarm ${id} is already cleared` : `alarm ${id} was already acknowledged by ${result.alarm?.acknowledgedBy ?? '?'}`);
      },
    },
  ];
}
