import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import { REJECTION_REASONS, type RejectionReason } from '../domain/rejections.js';

/** All Prometheus metrics of one platform instance, on their own registry (tests build several). */
export function createMetrics() {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'stadtpuls_process_' });
  const m = {
    registry,
    messages: new Counter({ name: 'stadtpuls_mqtt_messages_total', help: 'MQTT messages received', registers: [registry] }),
    events: new Counter({ name: 'stadtpuls_events_total', help: 'Normalized events by kind and source format', labelNames: ['kind', 'source'] as const, registers: [registry] }),
    rejections: new Counter({ name: 'stadtpuls_rejections_total', help: 'Rejected messages or payloads by reason', labelNames: ['reason'] as const, registers: [registry] }),
    duplicates: new Counter({ name: 'stadtpuls_duplicates_total', help: 'Uplinks dropped as duplicates (same deduplicationId)', registers: [registry] }),
    ignored: new Counter({ name: 'stadtpuls_ignored_events_total', help: 'Events deliberately not stored', labelNames: ['event'] as const, registers: [registry] }),
    decodeSeconds: new Histogram({ name: 'stadtpuls_decode_seconds', help: 'Sandboxed decoder call time', labelNames: ['model'] as const, buckets: [0.0001, 0.0005, 0.001, 0.005, 0.01, 0.05, 0.1], registers: [registry] }),
    pointsWritten: new Counter({ name: 'stadtpuls_points_written_total', help: 'Points durably written to the store', labelNames: ['sink'] as const, registers: [registry] }),
    writeBatches: new Histogram({ name: 'stadtpuls_write_batch_points', help: 'Points per write batch', buckets: [1, 10, 100, 500, 1000, 5000, 20000], registers: [registry] }),
    writeErrors: new Counter({ name: 'stadtpuls_write_errors_total', help: 'Failed store writes', labelNames: ['retriable'] as const, registers: [registry] }),
    spoolBatches: new Gauge({ name: 'stadtpuls_spool_batches', help: 'Batches waiting in the on-disk spool', registers: [registry] }),
    spoolBytes: new Gauge({ name: 'stadtpuls_spool_bytes', help: 'Bytes waiting in the on-disk spool', registers: [registry] }),
    spoolPeakBytes: new Gauge({ name: 'stadtpuls_spool_peak_bytes', help: 'Largest spool size since start', registers: [registry] }),
    unackedMessages: new Gauge({ name: 'stadtpuls_mqtt_unacked_messages', help: 'QoS 1 messages received but not yet durable (PUBACK held back)', registers: [registry] }),
    mqttConnected: new Gauge({ name: 'stadtpuls_mqtt_connected', help: '1 while connected to the broker', registers: [registry] }),
  };
  for (const reason of Object.keys(REJECTION_REASONS) as RejectionReason[]) m.rejections.inc({ reason }, 0);
  return m;
}

export type Metrics = ReturnType<typeof createMetrics>;
