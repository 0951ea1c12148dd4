import { execFileSync } from 'node:child_process';
import { chmodSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import mqtt from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { App } from '../../src/app.js';
import { uplinkJson, uplinkTopic } from '../../src/sim/events.js';
import { metric, testApp, until } from '../helpers/app.js';
import { Managed, freePort, tempDir } from '../helpers/processes.js';

/** Broker with TLS and password authentication, as a town should run it: a private CA, a user for Stadtpuls. */
describe('MQTT over TLS with user name and password', () => {
  const dir = tempDir('tls');
  let port = 0;
  let broker: Managed;
  let app: App;
  const logs: string[] = [];

  beforeAll(async () => {
    chmodSync(dir, 0o755);
    const ssl = (...args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: 'pipe' });
    ssl('req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'ca.key', '-out', 'ca.pem', '-days', '2', '-subj', '/CN=Stadtpuls Test CA');
    ssl('req', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'server.key', '-out', 'server.csr', '-subj', '/CN=127.0.0.1');
    writeFileSync(path.join(dir, 'san.ext'), 'subjectAltName=IP:127.0.0.1,DNS:localhost\n');
    ssl('x509', '-req', '-in', 'server.csr', '-CA', 'ca.pem', '-CAkey', 'ca.key', '-CAcreateserial', '-out', 'server.pem', '-days', '2', '-extfile', 'san.ext');
    for (const f of ['server.key', 'server.pem', 'ca.pem']) chmodSync(path.join(dir, f), 0o644); // mosquitto drops to its own user
    execFileSync('mosquitto_passwd', ['-b', '-c', path.join(dir, 'passwd'), 'stadtpuls', 'broker-secret-123'], { stdio: 'pipe' });
    execFileSync('mosquitto_passwd', ['-b', path.join(dir, 'passwd'), 'chirpstack', 'chirpstack-secret-456'], { stdio: 'pipe' });
    chmodSync(path.join(dir, 'passwd'), 0o644);
    port = await freePort();
    writeFileSync(
      path.join(dir, 'mosquitto.conf'),
      [`listener ${port} 127.0.0.1`, `cafile ${dir}/ca.pem`, `certfile ${dir}/server.pem`, `keyfile ${dir}/server.key`, 'allow_anonymous false', `password_file ${dir}/passwd`, ''].join('\n'),
    );
    broker = new Managed('mosquitto', ['-c', path.join(dir, 'mosquitto.conf')], async () => broker.output.includes('running'), `mosquitto (TLS) on ${port}`);
    await broker.start();
    app = testApp(
      { mqtt: { url: `mqtts://127.0.0.1:${port}`, username: 'stadtpuls', password: 'broker-secret-123', caFile: path.join(dir, 'ca.pem'), clientId: 'stadtpuls-tls' }, auth: { demoUsers: false } },
      logs,
    );
    await app.start();
    await until(() => app.health().then((h) => h.mqtt.connected), 'TLS connection');
  });

  afterAll(async () => {
    await app?.stop();
    await broker?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('ingests uplinks over mqtts:// with a private CA and never logs the password', async () => {
    const pub = mqtt.connect(`mqtts://127.0.0.1:${port}`, { username: 'chirpstack', password: 'chirpstack-secret-456', ca: [execFileSync('cat', [path.join(dir, 'ca.pem')])], clientId: 'tls-publisher' });
    await new Promise((r, j) => (pub.once('connect', r), pub.once('error', j)));
    const spec = { devEui: 'a81758fffe00f001', fPort: 2, bytes: Buffer.from('0ce404d20000d701', 'hex'), fCnt: 1, tags: { model: 'dragino-ldds75' } };
    await new Promise<void>((resolve, reject) => pub.publish(uplinkTopic(spec), uplinkJson(spec), { qos: 1 }, (e) => (e ? reject(e) : resolve())));
    await until(async () => (await metric(app, 'stadtpuls_events_total', 'kind="up",source="chirpstack_v4_json"')) === 1, 'uplink over TLS');
    pub.end(true);
    expect(logs.join('')).not.toContain('broker-secret-123');
  });

  it('refuses a broker certificate from an unknown CA', async () => {
    const client = mqtt.connect(`mqtts://127.0.0.1:${port}`, { username: 'stadtpuls', password: 'broker-secret-123', reconnectPeriod: 0, clientId: 'tls-untrusted' });
    const err = await new Promise<Error>((resolve) => client.once('error', resolve));
    client.end(true);
    expect(err.message).toMatch(/self[- ]signed|certificate/i);
  });
});
