import { z } from 'zod';
import type { RouteDef } from '../../api/routes.js';
import { HttpError, parse, principalOf } from '../../api/http.js';
import type { Role } from '../../auth/roles.js';
import type { HealthModule } from './module.js';

const TECH: readonly Role[] = ['technician'];

const devEuiParams = z.object({ devEui: z.string().regex(/^[0-9a-fA-F]{16}$/, 'DevEUI: 16 hex digits').transform((s) => s.toLowerCase()) });
const silenceBody = z.object({ until: z.iso.datetime({ offset: true }).nullable() });

/** Device health for technicians: state, acknowledgement of offline alarms, silence. */
export function healthRoutes(health: HealthModule): RouteDef[] {
  return [
    {
      method: 'get',
      path: '/api/devices/health',
      access: TECH,
      summary: 'Health of every device: last seen, battery, RSSI/SNR per gateway, online, codec errors',
      handler: (_req, res) => res.json(health.list()),
    },
    {
      method: 'get',
      path: '/api/devices/:devEui/health',
      access: TECH,
      summary: 'Health of one device',
      handler: (req, res) => {
        const { devEui } = parse(devEuiParams, req.params);
        const h = health.health(devEui);
        if (!h) throw new HttpError(404, 'not_found', `device ${devEui} is unknown`);
        res.json(h);
      },
    },
    {
      method: 'post',
      path: '/api/devices/:devEui/health/ack',
      access: TECH,
      summary: 'Acknowledge the device\'s active offline alarm',
      handler: (req, res) => {
        const { devEui } = parse(devEuiParams, req.params);
        const result = health.acknowledge(devEui, principalOf(req).username);
        if (result.ok) return void res.json(result.alarm);
        if (result.why === 'not_found') throw new HttpError(404, 'not_found', `device ${devEui} has no open offline alarm`);
        throw new HttpError(409, 'conflict', `the offline alarm of ${devEui} was already acknowledged by ${result.alarm?.acknowledgedBy ?? '?'}`);
      },
    },
    {
      method: 'post',
      path: '/api/devices/:devEui/health/silence',
      access: TECH,
      summary: 'Silence the device\'s offline alarms {until: ISO time} (null lifts the silence)',
      handler: (req, res) => {
        const { devEui } = parse(devEuiParams, req.params);
        const { until } = parse(silenceBody, req.body);
        const untilMs = until === null ? undefined : Date.parse(until);
        if (untilMs !== undefined && untilMs <= health.now()) throw new HttpError(400, 'invalid_request', 'until: must be in the future', ['until: must be in the future']);
        const h = health.silence(devEui, untilMs);
        if (!h) throw new HttpError(404, 'not_found', `device ${devEui} is unknown`);
        res.json(h);
      },
    },
  ];
}
