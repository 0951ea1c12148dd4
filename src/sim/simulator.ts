import type { MqttClient } from 'mqtt';
import type { Logger } from '../observability/log.js';
import type { Catalog } from '../registry/catalog.js';
import type { FleetDevice } from '../registry/fleet.js';
import { uplinkJson, uplinkProtobuf, uplinkTopic } from './events.js';
import { fillTemplate } from './template.js';

type Values = Record<string, number | boolean>;

/** Plausible next values per canonical reading (the simulator knows readings, never device models). */
function step(values: Values, dtHours: number, hour: number): void {
  const daytime = hour >= 7 && hour <= 18 ? 1 : 0.35;
  const r = Math.random;
  if ('occupied' in values && r() < 0.3) values.occupied = !values.occupied;
  if ('power' in values || 'energy_import' in values) {
    const power = Math.round((1500 + 6000 * daytime) * (0.8 + 0.4 * r()));
    if ('power' in values) values.power = power;
    values.energy_import = Number(values.energy_import ?? 0) + power * dtHours;
    if ('energy_export' in values) values.energy_export = Number(values.energy_export) + 40 * daytime * dtHours;
  }
  if ('heat_energy' in values) {
    const kw = 20 + 60 * (1 - daytime) * r();
    values.heat_power = kw * 1000;
    values.heat_energy = Number(values.heat_energy) + kw * 1000 * dtHours;
    values.heat_flow = kw / 20;
    values.heat_volume = Number(values.heat_volume) + (kw / 20) * dtHours;
    values.flow_temperature = 70 + 5 * r();
    values.return_temperature = 45 + 5 * r();
  }
  if ('pulse_count' in values) values.pulse_count = Number(values.pulse_count) + Math.round(r() * 20 * daytime);
  if ('distance' in values) values.distance = Math.round(2000 + 600 * Math.sin(Date.now() / 3.6e6) + 40 * r());
  if ('level' in values) values.level = Math.round(1500 + 300 * Math.sin(Date.now() / 3.6e6));
  if ('battery_voltage' in values) values.battery_voltage = 3.55 + 0.05 * r();
}

function initial(readings: readonly string[]): Values {
  const v: Values = {};
  for (const name of readings) {
    if (name === 'occupied') v.occupied = Math.random() < 0.5;
    else if (name === 'battery') v.battery = 85 + Math.round(Math.random() * 10);
    else if (name === 'temperature') v.temperature = 12;
    else if (name === 'humidity') v.humidity = 55;
    else if (name === 'fill') v.fill = 60;
    else v[name] = name.startsWith('energy') || name.startsWith('heat_energy') ? 1_000_000 + Math.round(Math.random() * 5e6) : 0;
  }
  return v;
}

export interface SimulatorDeps {
  readonly client: MqttClient;
  readonly catalog: Catalog;
  readonly devices: readonly FleetDevice[];
  readonly intervalMs: number;
  readonly log: Logger;
}

/** Publishes ChirpStack v4 uplinks (every fourth as protobuf) for the demo town, at randomized intervals. */
export class Simulator {
  private readonly timers = new Set<NodeJS.Timeout>();
  private fCnt = 0;

  constructor(private readonly deps: SimulatorDeps) {}

  start(): void {
    for (const device of this.deps.devices) {
      const model = this.deps.catalog.get(device.model);
      if (!model?.simulate) continue;
      const values = initial(model.readings.map((r) => r.spec.name));
      let last = Date.now();
      const tick = (first: boolean) => {
        const now = Date.now();
        step(values, first ? 0 : (now - last) / 3.6e6, new Date(now).getHours());
        last = now;
        this.publish(device, model.simulate!.fPort, fillTemplate(model.simulate!.hex, values));
        const t = setTimeout(() => {
          this.timers.delete(t);
          tick(false);
        }, this.deps.intervalMs * (0.5 + Math.random()));
        this.timers.add(t);
      };
      const t = setTimeout(() => {
        this.timers.delete(t);
        tick(true);
      }, Math.random() * Math.min(this.deps.intervalMs, 2000));
      this.timers.add(t);
    }
    this.deps.log.info({ devices: this.deps.devices.length, intervalMs: this.deps.intervalMs }, 'demo simulator running');
  }

  stop(): void {
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
  }

  private publish(device: FleetDevice, fPort: number, bytes: Uint8Array): void {
    const spec = { devEui: device.devEui, fPort, bytes, fCnt: ++this.fCnt, deviceName: device.name, rssi: -70 - Math.round(Math.random() * 40), snr: -5 + Math.random() * 15 };
    const payload = this.fCnt % 4 === 0 ? uplinkProtobuf(spec) : uplinkJson(spec);
    this.deps.client.publish(uplinkTopic(spec), payload, { qos: 1 }, (err) => {
      if (err) this.deps.log.warn({ err: err.message }, 'simulator publish failed');
    });
  }
}
