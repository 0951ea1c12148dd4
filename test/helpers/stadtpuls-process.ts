import path from 'node:path';
import { Managed, freePort } from './processes.js';

/** Stadtpuls as a real child process (`node --import tsx src/main.ts`), for kill and restart tests. */
export class StadtpulsProcess extends Managed {
  static async create(env: Record<string, string>): Promise<StadtpulsProcess> {
    return new StadtpulsProcess(await freePort(), env);
  }

  private constructor(
    readonly httpPort: number,
    env: Record<string, string>,
  ) {
    const vars = { ...env, HTTP_PORT: String(httpPort), HTTP_HOST: '127.0.0.1', LOG_LEVEL: env.LOG_LEVEL ?? 'warn' };
    const prefix = Object.entries(vars).map(([k, v]) => `${k}=${v}`);
    super(
      'env',
      [...prefix, process.execPath, ...(process.env.STADTPULS_NODE_ARGS ? process.env.STADTPULS_NODE_ARGS.split(' ') : []), '--import', 'tsx', path.resolve('src/main.ts')],
      async () => (await fetch(`http://127.0.0.1:${httpPort}/healthz`)).status === 200,
      `stadtpuls on ${httpPort}`,
    );
  }
}
