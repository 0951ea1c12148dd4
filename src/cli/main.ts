/**
 * The `stadtpuls` command line: argument dispatch only. Exit status 0 success, 1 failed tests, 2 usage or
 * configuration errors.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { ConfigError, loadConfig } from '../config/load.js';
import type { Config } from '../config/schema.js';
import type { CodecLimits } from '../decode/sandbox.js';
import { DEVICES_IMPORT_USAGE, devicesImportCommand } from '../onboarding/cli-import.js';
import { serve } from './codec-serve.js';
import { TestSetupError, codecTest, isCodecPath } from './codec-test.js';

export const USAGE = `Usage:
  stadtpuls help                       Show this text.
  stadtpuls codec serve                Decode uplinks: one JSON request per stdin line, one JSON response
                                       per stdout line, in order. Request:
                                         {"id": "1", "codec": "path/to/codec.js", "fPort": 2,
                                          "bytes": [12, 228], "recvTime"?: "2024-05-01T12:00:00Z",
                                          "variables"?: {...}, "module"?: true|false}
                                       Response: {"id": "1", "result": {"data", "warnings", "errors"}}
                                       or {"id": "1", "error": "message"}.
  stadtpuls codec test <model-id>      Run the examples of devices/<model-id>.yaml (and, if present,
                       [--vectors f]   ../shared/vectors/<model-id>.json) through decoders/<model-id>.js.
  stadtpuls codec test <codec.js>      Run the examples of a vectors file (format of ../shared/vectors:
                       --vectors f     {"examples": [{"description", "fPort", "bytes": "hex",
                                       "expected": {"data"?, "errors"?}}]}) through a codec file.

Codecs run in the platform's sandbox with its limits: DECODER_TIMEOUT_MS (default 100) and
DECODER_MEMORY_MB (default 32).
Exit status: 0 success, 1 a test failed, 2 usage error or the command could not run.
` + DEVICES_IMPORT_USAGE;

class UsageError extends Error {}

/** The project root: the nearest directory above this module with a package.json (src/cli or dist/src/cli). */
function projectRoot(): string {
  let dir = path.dirname(fileURLToPath(import.meta.url));
  while (!existsSync(path.join(dir, 'package.json'))) {
    const up = path.dirname(dir);
    if (up === dir) return process.cwd();
    dir = up;
  }
  return dir;
}

function config(root: string): Config {
  // The catalog of this installation, wherever the command is run from.
  return loadConfig(process.env, { catalogDir: path.join(root, 'devices'), decodersDir: path.join(root, 'decoders') });
}

function limitsOf(config: Config): CodecLimits {
  return { timeoutMs: config.decoder.timeoutMs, memoryBytes: config.decoder.memoryMb * 1024 * 1024 };
}

export async function run(argv: readonly string[]): Promise<number> {
  const [command, sub, ...rest] = argv;
  if (command === 'help' || command === '--help' || command === '-h' || (command === 'codec' && (sub === 'help' || sub === '--help' || sub === '-h'))) {
    process.stdout.write(USAGE);
    return 0;
  }
  if (command === undefined) throw new UsageError('no command given');
  if (command === 'devices') {
    if (sub === 'import') return devicesImportCommand(rest);
    throw new UsageError(`unknown devices command "${sub ?? ''}"`);
  }
  if (command !== 'codec') throw new UsageError(`unknown command "${command}"`);
  const root = projectRoot();
  switch (sub) {
    case 'serve': {
      if (rest.length > 0) throw new UsageError(`codec serve takes no arguments (got ${rest.join(' ')})`);
      return serve(limitsOf(config(root)));
    }
    case 'test': {
      if (rest.includes('--help') || rest.includes('-h')) {
        process.stdout.write(USAGE);
        return 0;
      }
      let parsed;
      try {
        parsed = parseArgs({ args: rest, allowPositionals: true, strict: true, options: { vectors: { type: 'string' } } });
      } catch (err) {
        throw new UsageError((err as Error).message);
      }
      const [target, ...extra] = parsed.positionals;
      if (target === undefined) throw new UsageError('codec test needs a model id or a codec file');
      if (extra.length > 0) throw new UsageError(`unexpected argument(s): ${extra.join(' ')}`);
      if (isCodecPath(target) && parsed.values.vectors === undefined) throw new UsageError(`testing a codec file needs --vectors <file.json>`);
      const cfg = config(root);
      return codecTest({
        target,
        ...(parsed.values.vectors !== undefined ? { vectors: parsed.values.vectors } : {}),
        limits: limitsOf(cfg),
        root,
        catalogDir: cfg.catalogDir,
        decodersDir: cfg.decodersDir,
      });
    }
    case undefined:
      throw new UsageError('codec needs a subcommand: serve or test');
    default:
      throw new UsageError(`unknown codec subcommand "${sub}"`);
  }
}

/** Runs the CLI and exits once stdout is flushed. */
export async function main(argv: readonly string[] = process.argv.slice(2)): Promise<never> {
  // A reader that goes away (e.g. `| head`) ends the command quietly.
  process.stdout.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code === 'EPIPE') process.exit(1);
    throw err;
  });
  let code: number;
  try {
    code = await run(argv);
  } catch (err) {
    if (err instanceof UsageError) {
      process.stderr.write(`stadtpuls: ${err.message}\n\n${USAGE}`);
      code = 2;
    } else if (err instanceof ConfigError || err instanceof TestSetupError) {
      process.stderr.write(`stadtpuls: ${err.message}\n`);
      code = 2;
    } else {
      process.stderr.write(`stadtpuls: unexpected error: ${(err as Error).stack ?? String(err)}\n`);
      code = 1;
    }
  }
  await new Promise<void>((resolve) => process.stdout.write('', () => resolve()));
  process.exit(code);
}

await main();
