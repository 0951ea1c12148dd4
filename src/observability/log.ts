import pino, { type Logger } from 'pino';

export type { Logger };

/** Structured logs; secrets are redacted by path wherever they could appear. */
export function createLogger(level: string, destination?: pino.DestinationStream): Logger {
  return pino(
    {
      level,
      base: { service: 'stadtpuls' },
      redact: { paths: ['password', 'token', 'appKey', '*.password', '*.token', '*.appKey', '*.*.appKey', 'app_key', '*.app_key', 'nwkKey', '*.nwkKey', 'apiToken', '*.apiToken', 'config.chirpstack.apiToken', 'config.mqtt.password', 'config.influx.password', 'config.influx.token', 'headers.authorization'], censor: '[redacted]' },
    },
    destination,
  );
}

/**
 * Logs at most `perWindow` lines per key (e.g. per rejection reason) in each window and reports how many were
 * suppressed, so a flood of bad messages cannot flood the log.
 */
export class RateLimitedLog {
  private readonly windows = new Map<string, { start: number; count: number; suppressed: number }>();

  constructor(
    private readonly log: Logger,
    private readonly perWindow = 10,
    private readonly windowMs = 60_000,
  ) {}

  warn(key: string, obj: Record<string, unknown>, msg: string): void {
    const now = Date.now();
    let w = this.windows.get(key);
    if (!w || now - w.start >= this.windowMs) {
      if (w && w.suppressed > 0) this.log.warn({ key, suppressed: w.suppressed }, 'similar messages suppressed');
      w = { start: now, count: 0, suppressed: 0 };
      this.windows.set(key, w);
    }
    if (w.count < this.perWindow) {
      w.count++;
      this.log.warn(obj, msg);
    } else {
      w.suppressed++;
    }
  }
}
