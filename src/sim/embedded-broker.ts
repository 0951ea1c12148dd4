import { createServer, type Server } from 'node:net';
import { Aedes } from 'aedes';

/** The embedded MQTT broker (aedes, MQTT 3.1.1) for running without one installed. Loopback only. */
export class EmbeddedBroker {
  private broker: Aedes | undefined;
  private server: Server | undefined;
  port = 0;

  constructor(private readonly requestedPort: number) {}

  async start(): Promise<void> {
    const broker = await Aedes.createBroker();
    const server = createServer(broker.handle);
    await new Promise<void>((resolve, reject) => {
      server.once('error', (err: NodeJS.ErrnoException) =>
        reject(err.code === 'EADDRINUSE' ? new Error(`EMBEDDED_MQTT_PORT ${this.requestedPort} is in use: set another port or MQTT_URL`) : err),
      );
      server.listen(this.requestedPort, '127.0.0.1', resolve);
    });
    const addr = server.address();
    this.port = typeof addr === 'object' && addr ? addr.port : this.requestedPort;
    this.broker = broker;
    this.server = server;
  }

  get url(): string {
    return `mqtt://127.0.0.1:${this.port}`;
  }

  async stop(): Promise<void> {
    await new Promise<void>((resolve) => (this.broker ? this.broker.close(() => resolve()) : resolve()));
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }
}
