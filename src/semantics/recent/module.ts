import { z } from 'zod';
import { HttpError, parse } from '../../api/http.js';
import type { RouteDef } from '../../api/routes.js';
import type { RecentUplink } from '../../live/protocol.js';
import type { ProcessedUplink } from '../../pipeline/pipeline.js';
import type { SemanticsContext, SemanticsModule } from '../module.js';

const PER_DEVICE = 20;
const MAX_DEVICES = 20_000;

const devEuiParams = z.object({ devEui: z.string().regex(/^[0-9a-fA-F]{16}$/, 'DevEUI: 16 hex digits').transform((s) => s.toLowerCase()) });

/**
 * The last uplinks of each device with their decoded values, for technicians checking a sensor, and the live
 * `reading` event for dashboards. Memory only, bounded: 20 uplinks for each of the 20,000 most recent devices.
 */
export class RecentUplinks implements SemanticsModule {
  readonly name = 'recent';
  private readonly byDevice = new Map<string, RecentUplink[]>();

  constructor(private readonly ctx: SemanticsContext) {}

  start(): void {}

  stop(): void {}

  onUplink(u: ProcessedUplink): void {
    const devEui = u.event.device.devEui;
    let list = this.byDevice.get(devEui);
    if (list) this.byDevice.delete(devEui); // re-insert: Map order is recency
    else list = [];
    list.unshift({
      time: new Date(u.event.time.ms).toISOString(),
      fCnt: u.event.fCnt,
      fPort: u.event.fPort,
      payloadHex: Buffer.from(u.event.bytes).toString('hex'),
      ...(u.event.radio.rssi !== undefined ? { rssi: u.event.radio.rssi } : {}),
      ...(u.event.radio.snr !== undefined ? { snr: u.event.radio.snr } : {}),
      gateways: u.event.radio.gateways,
      ...(u.decoded ? { decoded: u.decoded } : {}),
      readings: u.readings,
      ...(u.rejection ? { rejection: u.rejection } : {}),
    });
    if (list.length > PER_DEVICE) list.length = PER_DEVICE;
    this.byDevice.set(devEui, list);
    if (this.byDevice.size > MAX_DEVICES) this.byDevice.delete(this.byDevice.keys().next().value!);
    if (u.device && Object.keys(u.readings).length > 0) {
      this.ctx.live.emit('reading', { devEui, model: u.device.model.id, site: u.device.site, time: new Date(u.event.time.ms).toISOString(), readings: u.readings });
    }
  }

  recent(devEui: string): RecentUplink[] {
    return this.byDevice.get(devEui) ?? [];
  }

  routes(): RouteDef[] {
    return [
      {
        method: 'get',
        path: '/api/devices/:devEui/uplinks',
        access: ['technician'],
        summary: 'The last 20 uplinks of a device since start-up, with payload, radio, decoded data and readings',
        handler: (req, res) => {
          const { devEui } = parse(devEuiParams, req.params);
          if (!this.ctx.fleet.get(devEui) && !this.byDevice.has(devEui)) throw new HttpError(404, 'not_found', `device ${devEui} is unknown`);
          res.json(this.recent(devEui));
        },
      },
    ];
  }
}

export const createRecent = (ctx: SemanticsContext) => new RecentUplinks(ctx);
