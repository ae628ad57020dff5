/**
 * `npm run dev [-- --port <p>] [--redis-port <p>] [--qstash-port <p>] [--memory] [--verbose]` (flags: dev-args.ts):
 * the local development loop. Starts the local stack (by default on the ports wrangler.toml's `[env.dev]` names:
 * Upstash Redis REST on 127.0.0.1:8079, QStash on 127.0.0.1:8080) and `wrangler dev --env dev` (default
 * 127.0.0.1:8787) as a child process (the project's own wrangler), with the worker's Upstash URLs pointed at the
 * chosen ports, prints how to start a run with curl, and stops both on Ctrl-C / SIGTERM, or when wrangler exits.
 */
import "./require-node.js";
import { type ChildProcess, spawn } from "node:child_process";
import { realpathSync } from "node:fs";
import { constants } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { buildDashboard } from "./build-dashboard.js";
import { UsageError } from "./demo-args.js";
import { DEV_PORTS, DEV_USAGE, type DevPorts, parseDevArgs } from "./dev-args.js";
import { PROJECT_ROOT } from "./project-root.js";
import { type LocalStack, startLocalStack } from "./stack";

/** How long wrangler gets to exit after SIGTERM before it is killed, ms. */
const CHILD_EXIT_GRACE_MS = 5_000;

/**
 * The wrangler command line `npm run dev` runs (without the executable): env `dev`, loopback only, the worker's
 * port, `/__scheduled` enabled so the cron handler can be fired by hand, `PUBLIC_URL` set to the worker's own origin
 * (cron runs need it), `UPSTASH_REDIS_REST_URL` and `QSTASH_URL` set to the stack's ports (overriding
 * wrangler.toml's), and no interactive hotkeys (Ctrl-C then reaches this process as SIGINT).
 * @param ports where the stack and the worker listen (default {@link DEV_PORTS}).
 */
export function wranglerDevArgs(ports: DevPorts = DEV_PORTS): string[] {
  const origin = (port: number) => `http://${ports.host}:${port}`;
  return [
    "dev",
    "--env",
    "dev",
    "--ip",
    ports.host,
    "--port",
    String(ports.worker),
    "--test-scheduled",
    "--show-interactive-dev-session=false",
    // cron-started runs have no request origin: QStash must call back the dev worker here
    "--var",
    `PUBLIC_URL:${origin(ports.worker)}`,
    "--var",
    `UPSTASH_REDIS_REST_URL:${origin(ports.redis)}`,
    "--var",
    `QSTASH_URL:${origin(ports.qstash)}`,
  ];
}

/**
 * The curl commands printed once everything is up: start a `review-all` run on a tiny inline codebase, then read
 * its progress and output. Uses the dev API key of wrangler.toml (`API_KEYS = "dev:dev-key"`).
 */
export function curlHelp(workerUrl: string): string {
  const body = {
    workflow: "review-all",
    input: {
      repo: "hello",
      tree: "hello.ts (27 B)",
      files: '<file path="hello.ts">\nconsole.log("hello world");\n</file>\n',
      omitted: "nothing omitted",
    },
    simulate: { latencyMs: 500 },
  };
  return [
    "Start a run:",
    `  curl -X POST ${workerUrl}/v1/runs -H 'authorization: Bearer dev-key' -H 'content-type: application/json' \\`,
    `    -d '${JSON.stringify(body)}'`,
    "Then follow it (use the runId from the answer):",
    `  curl ${workerUrl}/v1/runs/<runId> -H 'authorization: Bearer dev-key'`,
    `  curl ${workerUrl}/v1/runs/<runId>/output -H 'authorization: Bearer dev-key'`,
    "Or review a real codebase with live progress:  npm run demo -- --repo <path>",
  ].join("\n");
}

async function main(): Promise<void> {
  let values: ReturnType<typeof parseDevArgs>;
  try {
    values = parseDevArgs(process.argv.slice(2));
  } catch (err) {
    if (!(err instanceof UsageError)) throw err;
    process.stderr.write(`${err.message}\n\n${DEV_USAGE}\n`);
    process.exit(64);
  }
  if (values.help) {
    process.stdout.write(`${DEV_USAGE}\n`);
    return;
  }
  const { ports } = values;
  let stack: LocalStack;
  try {
    stack = await startLocalStack({
      host: ports.host,
      redisPort: ports.redis,
      qstashPort: ports.qstash,
      ...(values.memory ? { memory: true } : {}),
      ...(values.verbose ? { log: (line: string) => void process.stdout.write(`[stack] ${line}\n`) } : {}),
    });
  } catch (err) {
    process.stderr.write(
      `Could not start the local stack on ${ports.host}:${ports.redis}/${ports.qstash} ` +
        `(${err instanceof Error ? err.message : String(err)}). Is another \`npm run dev\` running? ` +
        "Choose other ports with --redis-port and --qstash-port.\n",
    );
    process.exit(1);
  }
  process.stdout.write(
    `Local stack: Upstash Redis REST ${stack.redisRestUrl} (${stack.backend}), QStash ${stack.qstashUrl}\n`,
  );

  await buildDashboard(); // wrangler.toml [assets]: the dashboard at http://<host>:<port>/
  // node_modules/.bin/wrangler is a link to wrangler's JS entry: run it with this Node (wrangler needs >= 22.12).
  const wranglerJs = realpathSync(join(PROJECT_ROOT, "node_modules", ".bin", "wrangler"));
  const child: ChildProcess = spawn(process.execPath, [wranglerJs, ...wranglerDevArgs(ports)], {
    cwd: PROJECT_ROOT,
    stdio: ["ignore", "inherit", "inherit"],
    env: {
      ...process.env,
      WRANGLER_SEND_METRICS: process.env.WRANGLER_SEND_METRICS ?? "false",
      // Offline: miniflare would otherwise fetch a Request.cf sample from workers.cloudflare.com.
      CLOUDFLARE_CF_FETCH_ENABLED: process.env.CLOUDFLARE_CF_FETCH_ENABLED ?? "false",
    },
  });
  const childExited = new Promise<number>((resolve) => {
    child.once("exit", (code, signal) => resolve(code ?? 128 + (signal ? (constants.signals[signal] ?? 0) : 0)));
    child.once("error", (err) => {
      process.stderr.write(`could not start wrangler: ${err.message}\n`);
      resolve(1);
    });
  });

  const workerUrl = `http://${ports.host}:${ports.worker}`;
  void waitForHealth(workerUrl, childExited).then((up) => {
    if (up) process.stdout.write(`\nagent-dag worker ready at ${workerUrl}\n${curlHelp(workerUrl)}\n\n`);
  });

  let stopping = false;
  const stop = async (code: number) => {
    if (stopping) return;
    stopping = true;
    if (child.exitCode === null && child.signalCode === null) {
      child.kill("SIGTERM");
      const timer = setTimeout(() => child.kill("SIGKILL"), CHILD_EXIT_GRACE_MS);
      await childExited;
      clearTimeout(timer);
    }
    await stack.close().catch((err: unknown) => process.stderr.write(`stack close failed: ${String(err)}\n`));
    process.exit(code);
  };
  let firstSignalAt = 0;
  const onSignal = () => {
    // Ctrl-C reaches every process of the group, and tsx relays it too: one keypress can arrive twice. Only a
    // second Ctrl-C pressed later gives up on the cleanup.
    if (firstSignalAt > 0) {
      if (Date.now() - firstSignalAt > 1_000) process.exit(130);
      return;
    }
    firstSignalAt = Date.now();
    process.stdout.write("\nStopping wrangler and the local stack…\n");
    void stop(130);
  };
  process.on("SIGINT", onSignal);
  process.on("SIGTERM", onSignal);
  void childExited.then((code) => stop(code));
}

/** Polls `GET /healthz` until it answers 2xx (true), wrangler exits or 60 s pass (false). */
async function waitForHealth(base: string, exited: Promise<number>): Promise<boolean> {
  let done = false;
  void exited.then(() => (done = true));
  const deadline = Date.now() + 60_000;
  while (!done && Date.now() < deadline) {
    try {
      const res = await fetch(`${base}/healthz`);
      if (res.ok) return true;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  return false;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main().catch((err: unknown) => {
    process.stderr.write(`${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exit(1);
  });
}
