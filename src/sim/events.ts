import { randomUUID } from 'node:crypto';
import gwPb from '@chirpstack/chirpstack-api/gw/gw_pb.js';
import integrationPb from '@chirpstack/chirpstack-api/integration/integration_pb.js';
import timestampPb from 'google-protobuf/google/protobuf/timestamp_pb.js';

/** What it takes to build a realistic ChirpStack v4 uplink event (simulator, tests, benchmark). */
export interface UplinkSpec {
  readonly devEui: string;
  readonly fPort: number;
  readonly bytes: Uint8Array;
  readonly fCnt: number;
  readonly time?: Date;
  readonly deduplicationId?: string;
  readonly applicationId?: string;
  readonly deviceName?: string;
  readonly tags?: Readonly<Record<string, string>>;
  readonly rssi?: number;
  readonly snr?: number;
}

const APP = '4f7a2b1c-0d3e-4a5b-8c6d-7e8f9a0b1c2d';
const TENANT = '52f14cd4-c6f1-4fbd-8f87-4025e1d49242';

export const uplinkTopic = (spec: Pick<UplinkSpec, 'devEui' | 'applicationId'>, event = 'up') =>
  `application/${spec.applicationId ?? APP}/device/${spec.devEui}/event/${event}`;

/** ChirpStack's RFC 3339 style: `+00:00` and microseconds. */
const rfc3339 = (d: Date) => d.toISOString().replace(/\.(\d{3})Z$/, '.$1000+00:00');

export function uplinkJson(spec: UplinkSpec): Buffer {
  const time = spec.time ?? new Date();
  return Buffer.from(
    JSON.stringify({
      deduplicationId: spec.deduplicationId ?? randomUUID(),
      time: rfc3339(time),
      deviceInfo: {
        tenantId: TENANT,
        tenantName: 'Musterstadt',
        applicationId: spec.applicationId ?? APP,
        applicationName: 'stadtpuls-demo',
        deviceProfileId: '14855bf7-d10d-4aee-b618-ebfcb64dc7ad',
        deviceProfileName: 'demo',
        deviceName: spec.deviceName ?? spec.devEui,
        devEui: spec.devEui,
        deviceClassEnabled: 'CLASS_A',
        tags: spec.tags ?? {},
      },
      devAddr: '00189440',
      adr: true,
      dr: 5,
      fCnt: spec.fCnt,
      fPort: spec.fPort,
      confirmed: false,
      data: Buffer.from(spec.bytes).toString('base64'),
      rxInfo: [
        {
          gatewayId: '0016c001f153a14c',
          uplinkId: Math.floor(Math.random() * 4e9),
          nsTime: rfc3339(time),
          rssi: spec.rssi ?? -90,
          snr: spec.snr ?? 7.5,
          location: {},
          crcStatus: 'CRC_OK',
        },
      ],
      txInfo: { frequency: 868100000, modulation: { lora: { bandwidth: 125000, spreadingFactor: 7, codeRate: 'CR_4_5' } } },
      regionConfigId: 'eu868',
    }),
  );
}

export function uplinkProtobuf(spec: UplinkSpec): Buffer {
  const time = spec.time ?? new Date();
  const ts = new timestampPb.Timestamp();
  ts.setSeconds(Math.floor(time.getTime() / 1000));
  ts.setNanos((time.getTime() % 1000) * 1e6);
  const info = new integrationPb.DeviceInfo();
  info.setTenantId(TENANT);
  info.setApplicationId(spec.applicationId ?? APP);
  info.setApplicationName('stadtpuls-demo');
  info.setDeviceProfileName('demo');
  info.setDeviceName(spec.deviceName ?? spec.devEui);
  info.setDevEui(spec.devEui);
  for (const [k, v] of Object.entries(spec.tags ?? {})) info.getTagsMap().set(k, v);
  const rx = new gwPb.UplinkRxInfo();
  rx.setGatewayId('0016c001f153a14c');
  rx.setRssi(spec.rssi ?? -90);
  rx.setSnr(spec.snr ?? 7.5);
  const tx = new gwPb.UplinkTxInfo();
  tx.setFrequency(868100000);
  const up = new integrationPb.UplinkEvent();
  up.setDeduplicationId(spec.deduplicationId ?? randomUUID());
  up.setTime(ts);
  up.setDeviceInfo(info);
  up.setDevAddr('00189440');
  up.setDr(5);
  up.setFCnt(spec.fCnt);
  up.setFPort(spec.fPort);
  up.setData(spec.bytes);
  up.setRxInfoList([rx]);
  up.setTxInfo(tx);
  return Buffer.from(up.serializeBinary());
}
