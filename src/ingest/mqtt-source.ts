import { readFileSync } from 'node:fs';
import mqtt, { type IClientOptions, type IPublishPacket, type MqttClient, type Packet } from 'mqtt';
import type { Config } from '../config/schema.js';
import { Fifo } from '../domain/fifo.js';
import type { Logger } from '../observability/log.js';
import type { Metrics } from '../observability/metrics.js';

export interface MqttSourceDeps {
  readonly config: Config['mqtt'];
  /** Overrides config.url (the embedded broker's address). */
  readonly url: string;
  /** 5 for real brokers (session expiry, receive maximum); 4 for the embedded aedes broker. */
  readonly protocolVersion: 4 | 5;
  /** Resolves when the message may be acknowledged (durable or deliberately rejected). */
  readonly handle: (topic: string, payload: Buffer) => Promise<void>;
  readonly metrics: Metrics;
  readonly log: Logger;
}

interface Ticket {
  readonly generation: number;
  done: boolean;
  ack?: () => void;
}

/**
 * How many unacknowledged QoS 1 messages the broker may have outstanding with us (MQTT 5 Receive Maximum). It
 * bounds our memory while the store is slow, and is far above one write batch so batching is never starved.
 */
const RECEIVE_MAXIMUM = 2_000;

type SendPacket = (packet: Packet, cb?: (err?: Error) => void, cbStorePut?: unknown, noStore?: boolean) => void;

/**
 * Subscribes at QoS 1 with a persistent MQTT 5 session (stable client id, no clean start, a session expiry), and
 * acknowledges each message only when the pipeline says it is durable.
 *
 * MQTT.js sends the PUBACK as soon as `handleMessage` calls back and processes packets strictly one after another,
 * so holding the callback would allow one message per store write. Instead the callback is released at once and
 * the PUBACK it triggers is held here until the message is durable. PUBACKs leave in the order the messages came
 * (MQTT 4.6). Those of a previous connection are dropped: the broker redelivers those messages, and
 * deduplication plus idempotent points make the redelivery harmless.
 */
export class MqttSource {
  private client: MqttClient | undefined;
  private generation = 0;
  private readonly pending = new Fifo<Ticket>();
  private current: Ticket | undefined;
  private stopping = false;
  private readonly inflight = new Set<Promise<void>>();

  constructor(private readonly deps: MqttSourceDeps) {}

  get connected(): boolean {
    return this.client?.connected ?? false;
  }

  get unacked(): number {
    return this.pending.length;
  }

  async start(): Promise<void> {
    const { config, log, metrics } = this.deps;
    const options: IClientOptions = {
      clientId: config.clientId,
      clean: false,
      protocolVersion: this.deps.protocolVersion,
      ...(this.deps.protocolVersion === 5 ? { properties: { sessionExpiryInterval: config.sessionExpirySeconds, receiveMaximum: RECEIVE_MAXIMUM } } : {}),
      reconnectPeriod: 1000,
      connectTimeout: 10_000,
      resubscribe: true,
      ...(config.username ? { username: config.username } : {}),
      ...(config.password ? { password: config.password } : {}),
      ...(config.caFile ? { ca: readFileSync(config.caFile) } : {}),
    };
    const client = mqtt.connect(this.deps.url, options);
    this.client = client;
    this.interceptPubacks(client);
    client.handleMessage = (packet, callback) => this.onMessage(packet, callback);
    client.on('connect', (connack) => {
      this.generation++;
      metrics.mqttConnected.set(1);
      log.info({ url: redactUrl(this.deps.url), sessionPresent: connack.sessionPresent }, 'connected to MQTT broker');
      const topics = config.topics.map((t) => (config.shareGroup ? `$share/${config.shareGroup}/${t}` : t));
      client.subscribe(topics, { qos: 1 }, (err, granted) => {
        if (err) return void log.error({ err: err.message }, 'subscribe failed');
        const refused = granted?.filter((g) => g.qos > 2) ?? [];
        if (refused.length > 0) log.error({ topics: refused.map((g) => g.topic) }, 'broker refused subscriptions');
        else log.info({ topics }, 'subscribed');
      });
    });
    client.on('close', () => metrics.mqttConnected.set(0));
    client.on('error', (err) => log.warn({ err: err.message }, 'MQTT connection error'));
    client.on('offline', () => log.warn('MQTT broker offline; reconnecting'));
  }

  /** Stops taking messages, waits until everything taken is durable and acknowledged, then disconnects. */
  async stop(): Promise<void> {
    this.stopping = true;
    await Promise.allSettled([...this.inflight]);
    this.release();
    const client = this.client;
    if (client) await new Promise<void>((resolve) => client.end(false, {}, () => resolve()));
    this.deps.metrics.mqttConnected.set(0);
  }

  private onMessage(packet: IPublishPacket, callback: (err?: Error) => void): void {
    if (this.stopping) return; // not acknowledged: the broker keeps it for our next session
    const ticket: Ticket = { generation: this.generation, done: false };
    if (packet.qos > 0) this.pending.push(ticket);
    const topic = packet.topic;
    const payload = Buffer.isBuffer(packet.payload) ? packet.payload : Buffer.from(packet.payload);
    let durable: Promise<void>;
    try {
      durable = this.deps.handle(topic, payload);
    } catch (err) {
      this.deps.log.error({ err: (err as Error).message, topic }, 'pipeline failed on a message');
      durable = Promise.resolve();
    }
    const tracked: Promise<void> = durable.then(
      () => this.complete(ticket, tracked),
      (err: Error) => {
        this.deps.log.error({ err: err.message, topic }, 'pipeline failed on a message');
        this.complete(ticket, tracked);
      },
    );
    this.inflight.add(tracked);
    this.deps.metrics.unackedMessages.set(this.pending.length);
    this.current = ticket;
    callback(); // MQTT.js now calls _sendPacket(puback) synchronously; interceptPubacks parks it on `current`
    this.current = undefined;
  }

  private complete(ticket: Ticket, tracked: Promise<void>): void {
    ticket.done = true;
    this.inflight.delete(tracked);
    this.release();
  }

  /** Sends held PUBACKs from the head of the queue while their messages are durable. */
  private release(): void {
    while (this.pending.peek()?.done) {
      const t = this.pending.shift()!;
      if (t.generation === this.generation && this.client?.connected) t.ack?.();
    }
    this.deps.metrics.unackedMessages.set(this.pending.length);
  }

  private interceptPubacks(client: MqttClient): void {
    const target = client as unknown as { _sendPacket: SendPacket };
    const send = target._sendPacket.bind(client);
    target._sendPacket = (packet, cb, cbStorePut, noStore) => {
      const ticket = this.current;
      if (packet.cmd !== 'puback' || !ticket) return send(packet, cb, cbStorePut, noStore);
      ticket.ack = () => send(packet);
      cb?.();
    };
  }
}

export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.href;
  } catch {
    return '[invalid url]';
  }
}
