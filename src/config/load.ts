import { configSchema, type Config, type ConfigInput } from './schema.js';
import { ENV_VARS, type EnvVar } from './env.js';

export class ConfigError extends Error {
  constructor(readonly problems: readonly string[]) {
    super(`invalid configuration:\n  ${problems.join('\n  ')}`);
    this.name = 'ConfigError';
  }
}

const where = (v: EnvVar) => `${v.name} (${v.path.join('.')})`;

function parseValue(v: EnvVar, raw: string): { value?: unknown; problem?: string } {
  switch (v.kind) {
    case 'string':
      return { value: raw };
    case 'number': {
      return /^-?\d+(\.\d+)?$/.test(raw.trim()) ? { value: Number(raw) } : { problem: `${where(v)}: expected a decimal number, got "${raw}"` };
    }
    case 'boolean':
      if (/^(1|true|yes|on)$/i.test(raw)) return { value: true };
      if (/^(0|false|no|off)$/i.test(raw)) return { value: false };
      return { problem: `${where(v)}: expected true or false, got "${raw}"` };
    case 'list':
      return { value: raw.split(',').map((s) => s.trim()).filter((s) => s !== '') };
  }
}

function setPath(target: Record<string, unknown>, path: readonly string[], value: unknown): void {
  let node = target;
  for (const key of path.slice(0, -1)) {
    node = (node[key] ??= {}) as Record<string, unknown>;
  }
  node[path[path.length - 1]!] = value;
}

function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object') {
    for (const v of Object.values(value)) deepFreeze(v);
    Object.freeze(value);
  }
  return value;
}

const envByPath = new Map(ENV_VARS.map((v) => [v.path.join('.'), v.name]));

/**
 * Builds the configuration from environment variables (and optional overrides, for tests and the CLI),
 * validates it once and returns it frozen. All problems are reported together as `path: message`.
 */
export function loadConfig(env: NodeJS.ProcessEnv = process.env, overrides: ConfigInput = {}): Config {
  const raw: Record<string, unknown> = {};
  const problems: string[] = [];
  for (const v of ENV_VARS) {
    const text = env[v.name];
    if (text === undefined || text === '') continue;
    const { value, problem } = parseValue(v, text);
    if (problem) problems.push(problem);
    else setPath(raw, v.path, value);
  }
  mergeInto(raw, overrides);
  const result = configSchema.safeParse(raw);
  if (!result.success) {
    for (const issue of result.error.issues) {
      const path = issue.path.join('.');
      const name = envByPath.get(path);
      problems.push(`${name ? `${name} (${path})` : path || '(root)'}: ${issue.message}`);
    }
  }
  if (problems.length > 0 || !result.success) throw new ConfigError(problems);
  return deepFreeze(result.data);
}

function mergeInto(target: Record<string, unknown>, source: Record<string, unknown>): void {
  for (const [key, value] of Object.entries(source)) {
    if (value && typeof value === 'object' && !Array.isArray(value)) {
      const node = (target[key] ??= {}) as Record<string, unknown>;
      mergeInto(node, value as Record<string, unknown>);
    } else {
      target[key] = value;
    }
  }
}

/** The configuration with secrets replaced, for the start-up log line. */
export function redactedConfig(config: Config): unknown {
  const copy = JSON.parse(JSON.stringify(config)) as Record<string, unknown>;
  for (const v of ENV_VARS.filter((e) => e.secret)) {
    let node: Record<string, unknown> | undefined = copy;
    for (const key of v.path.slice(0, -1)) node = node?.[key] as Record<string, unknown> | undefined;
    const last = v.path[v.path.length - 1]!;
    if (node && node[last] !== undefined) node[last] = '[redacted]';
  }
  // Credentials can also hide in URLs (mqtts://user:secret@host).
  for (const section of ['mqtt', 'influx'] as const) {
    const node = copy[section] as Record<string, unknown> | undefined;
    if (node && typeof node.url === 'string') {
      try {
        const u = new URL(node.url);
        if (u.password) {
          u.password = 'redacted';
          node.url = u.href;
        }
      } catch {
        node.url = '[unparseable url]';
      }
    }
  }
  return copy;
}
