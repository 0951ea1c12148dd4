import { spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';

/** A free TCP port on 127.0.0.1 (asked from the kernel, never fixed). */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

export function tempDir(prefix: string): string {
  return mkdtempSync(path.join(tmpdir(), `stadtpuls-${prefix}-`));
}

async function waitFor(check: () => Promise<boolean>, what: string, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check().catch(() => false)) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`${what} did not become ready within ${timeoutMs} ms`);
}

const portOpen = (port: number) =>
  new Promise<boolean>((resolve) => {
    import('node:net').then(({ connect }) => {
      const s = connect(port, '127.0.0.1');
      s.once('connect', () => {
        s.destroy();
        resolve(true);
      });
      s.once('error', () => resolve(false));
    }, () => resolve(false));
  });

/** A child process we started, stopped only by its own PID. */
export class Managed {
  proc: ChildProcess | undefined;
  output = '';

  constructor(
    private readonly cmd: string,
    private readonly args: string[],
    private readonly ready: () => Promise<boolean>,
    private readonly name: string,
  ) {}

  async start(): Promise<void> {
    const proc = spawn(this.cmd, this.args, { stdio: ['ignore', 'pipe', 'pipe'] });
    this.proc = proc;
    const capture = (b: Buffer) => {
      this.output = (this.output + b.toString()).slice(-200_000);
    };
    proc.stdout?.on('data', capture);
    proc.stderr?.on('data', capture);
    let exited = false;
    proc.once('exit', () => (exited = true));
    await waitFor(async () => {
      if (exited) throw new Error(`${this.name} exited: ${this.output}`);
      return this.ready();
    }, this.name).catch((err: Error) => {
      throw new Error(`${err.message}; its output ends with:\n${this.output.slice(-2000)}`);
    });
  }

  /** SIGTERM (or the given signal) to our own PID, and wait for it to exit. */
  async stop(signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
    const proc = this.proc;
    if (!proc || proc.exitCode !== null || proc.signalCode !== null) return;
    await new Promise<void>((resolve) => {
      proc.once('exit', () => resolve());
      proc.kill(signal);
    });
  }
}

export class Mosquitto extends Managed {
  readonly url: string;
  readonly dir: string;

  static async create(): Promise<Mosquitto> {
    const dir = tempDir('mosquitto');
    // Started as root, mosquitto drops to its own user: it must still be able to save its persistence file here,
    // or sessions and queued messages are lost across a broker restart.
    chmodSync(dir, 0o777);
    return new Mosquitto(await freePort(), dir);
  }

  private constructor(
    readonly port: number,
    dir: string,
  ) {
    const conf = path.join(dir, 'mosquitto.conf');
    // Unlimited queue for offline persistent sessions: the broker keeps every QoS 1 message while we are away.
    writeFileSync(
      conf,
      [`listener ${port} 127.0.0.1`, 'allow_anonymous true', 'persistence true', `persistence_location ${dir}/`, 'max_queued_messages 0', 'max_inflight_messages 0', ''].join('\n'),
    );
    super('mosquitto', ['-c', conf], () => portOpen(port), `mosquitto on ${port}`);
    this.url = `mqtt://127.0.0.1:${port}`;
    this.dir = dir;
  }

  async cleanup(): Promise<void> {
    await this.stop();
    rmSync(this.dir, { recursive: true, force: true });
  }
}

export class Influxd extends Managed {
  readonly url: string;
  readonly dir: string;

  static async create(): Promise<Influxd> {
    return new Influxd(await freePort(), await freePort(), tempDir('influxd'));
  }

  private constructor(
    readonly port: number,
    rpcPort: number,
    dir: string,
  ) {
    const conf = path.join(dir, 'influxdb.conf');
    writeFileSync(
      conf,
      [
        'reporting-disabled = true',
        `bind-address = "127.0.0.1:${rpcPort}"`,
        '[meta]',
        `  dir = "${dir}/meta"`,
        '[data]',
        `  dir = "${dir}/data"`,
        `  wal-dir = "${dir}/wal"`,
        '  query-log-enabled = false',
        '[http]',
        `  bind-address = "127.0.0.1:${port}"`,
        '  log-enabled = false',
        '[monitor]',
        '  store-enabled = false',
        '',
      ].join('\n'),
    );
    super('influxd', ['-config', conf], async () => (await fetch(`http://127.0.0.1:${port}/ping`)).status === 204, `influxd on ${port}`);
    this.url = `http://127.0.0.1:${port}`;
    this.dir = dir;
  }

  async query(db: string, q: string): Promise<{ columns: string[]; values: unknown[][] }[]> {
    const res = await fetch(`${this.url}/query?db=${encodeURIComponent(db)}&epoch=ns&q=${encodeURIComponent(q)}`);
    const body = (await res.json()) as { results: { series?: { columns: string[]; values: unknown[][] }[]; error?: string }[] };
    const r = body.results[0];
    if (r?.error) throw new Error(r.error);
    return r?.series ?? [];
  }

  async createDatabase(db: string): Promise<void> {
    await fetch(`${this.url}/query?q=${encodeURIComponent(`CREATE DATABASE "${db}"`)}`, { method: 'POST' });
  }

  async cleanup(): Promise<void> {
    await this.stop();
    rmSync(this.dir, { recursive: true, force: true });
  }
}
