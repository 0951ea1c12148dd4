import { z } from 'zod';
import type { RouteDef } from '../../api/routes.js';
import { HttpError, parse, principalOf } from '../../api/http.js';
import type { Role } from '../../auth/roles.js';
import type { ParkingModule } from './module.js';
import { zoneRuleSchema } from './rules.js';

const ZONES_READ: readonly Role[] = ['viewer', 'enforcement', 'technician'];
const ENFORCE: readonly Role[] = ['enforcement', 'technician'];
const RULES_WRITE: readonly Role[] = ['technician'];

const zoneId = z.string().regex(/^[A-Za-z0-9_.-]{1,64}$/, 'zone id: letters, digits, "_", "." and "-", at most 64');
const zoneParams = z.object({ zone: zoneId });
const baysQuery = z.object({ zone: zoneId.optional() });

/** Parking routes: zone counts for everybody who watches the town, bays and overstays for enforcement. */
export function parkingRoutes(parking: ParkingModule): RouteDef[] {
  return [
    {
      method: 'get',
      path: '/api/parking/zones',
      access: ZONES_READ,
      summary: 'Parking zones with total, occupied, free, stale (unknown) bays and current overstays',
      handler: (_req, res) => res.json(parking.zoneStates()),
    },
    {
      method: 'get',
      path: '/api/parking/bays',
      access: ENFORCE,
      summary: 'Bay states (free / occupied / unknown, since, last seen, overstay), optionally of one zone (?zone=)',
      handler: (req, res) => {
        const { zone } = parse(baysQuery, req.query);
        res.json(parking.bayStates(zone));
      },
    },
    {
      method: 'get',
      path: '/api/parking/overstays',
      access: ENFORCE,
      summary: 'Bays whose car is beyond its zone\'s maximum parking duration now, with the time since arrival',
      handler: (_req, res) => res.json(parking.overstays()),
    },
    {
      method: 'get',
      path: '/api/parking/rules',
      access: ENFORCE,
      summary: 'The zone rules (maximum parking duration and the hours it applies)',
      handler: (_req, res) => res.json(parking.listRules()),
    },
    {
      method: 'put',
      path: '/api/parking/zones/:zone/rule',
      access: RULES_WRITE,
      summary: 'Set a zone\'s rule {maxMinutes, days: ["mo",…], from: "08:00", to: "18:00"} (local time of TOWN_TIMEZONE)',
      handler: (req, res) => {
        const { zone } = parse(zoneParams, req.params);
        const rule = parse(zoneRuleSchema, req.body);
        const by = principalOf(req).username;
        res.json(parking.setRule(zone, rule, by));
      },
    },
    {
      method: 'delete',
      path: '/api/parking/zones/:zone/rule',
      access: RULES_WRITE,
      summary: 'Remove a zone\'s rule',
      handler: (req, res) => {
        const { zone } = parse(zoneParams, req.params);
        if (!parking.deleteRule(zone)) throw new HttpError(404, 'not_found', `zone ${zone} has no rule`);
        res.status(204).end();
      },
    },
  ];
}
