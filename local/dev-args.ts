/**
 * Command-line flags of `npm run dev` (`npm run dev -- [flags]`), parsed with Node's own `util.parseArgs`.
 */
import { parseArgs } from "node:util";
import { UsageError } from "./demo-args.js";

/**
 * Ports `npm run dev` serves on by default: the ones wrangler.toml's `[env.dev.vars]` names (Upstash Redis REST
 * 8079, QStash 8080) and wrangler's usual 8787 for the worker, all on 127.0.0.1.
 */
export const DEV_PORTS = { host: "127.0.0.1", redis: 8079, qstash: 8080, worker: 8787 } as const;

/** Where the dev loop listens: loopback host and three TCP ports. */
export interface DevPorts {
  host: string;
  /** Upstash Redis REST emulator. */
  redis: number;
  /** QStash emulator. */
  qstash: number;
  /** The worker (wrangler dev). */
  worker: number;
}

/** The settings of `npm run dev`. */
export interface DevOptions {
  ports: DevPorts;
  /** Force the local stack's in-memory store instead of a local Redis. */
  memory: boolean;
  /** Print the local stack's own log lines. */
  verbose: boolean;
  /** Print the usage text and exit. */
  help: boolean;
}

/** The usage text printed by `--help` and after a usage error. */
export const DEV_USAGE = `Usage: npm run dev -- [--port <p>] [--redis-port <p>] [--qstash-port <p>] [--memory]
                     [--verbose]

Starts the local stack (Upstash Redis REST + QStash emulators) and the worker under wrangler dev, on 127.0.0.1.

  --port <p>          worker port (default: ${DEV_PORTS.worker})
  --redis-port <p>    Upstash Redis REST port (default: ${DEV_PORTS.redis}); the worker is pointed at it
  --qstash-port <p>   QStash port (default: ${DEV_PORTS.qstash}); the worker is pointed at it
  --memory            use the embedded in-memory store even when a local Redis is reachable
  --verbose           show the local stack's logs
  -h, --help          show this help`;

/**
 * Parses the flags of `npm run dev`. `--flag value` and `--flag=value` both work.
 * @param argv the arguments after the script name (`process.argv.slice(2)`).
 * @throws UsageError on an unknown flag, a positional argument, a missing value, a port that is not an integer in
 *   1..65535, or two services on the same port.
 */
export function parseDevArgs(argv: readonly string[]): DevOptions {
  let values;
  try {
    ({ values } = parseArgs({
      args: [...argv],
      strict: true,
      allowPositionals: false,
      options: {
        port: { type: "string" },
        "redis-port": { type: "string" },
        "qstash-port": { type: "string" },
        memory: { type: "boolean", default: false },
        verbose: { type: "boolean", default: false },
        help: { type: "boolean", short: "h", default: false },
      },
    }));
  } catch (err) {
    throw new UsageError(err instanceof Error ? err.message : String(err));
  }
  const ports: DevPorts = {
    host: DEV_PORTS.host,
    redis: portFlag("--redis-port", values["redis-port"], DEV_PORTS.redis),
    qstash: portFlag("--qstash-port", values["qstash-port"], DEV_PORTS.qstash),
    worker: portFlag("--port", values.port, DEV_PORTS.worker),
  };
  if (new Set([ports.redis, ports.qstash, ports.worker]).size < 3) {
    throw new UsageError(
      `Expected three different ports, got worker ${ports.worker}, Redis REST ${ports.redis}, QStash ${ports.qstash}`,
    );
  }
  return { ports, memory: values.memory, verbose: values.verbose, help: values.help };
}

function portFlag(name: string, raw: string | undefined, fallback: number): number {
  if (raw === undefined) return fallback;
  const value = /^\d+$/.test(raw.trim()) ? Number(raw.trim()) : Number.NaN;
  if (!Number.isInteger(value) || value < 1 || value > 65_535) {
    throw new UsageError(`Expected \`${name}\` to be a port (an integer in 1..65535), got ${JSON.stringify(raw)}`);
  }
  return value;
}
