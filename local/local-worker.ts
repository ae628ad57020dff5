/**
 * The worker in workerd for the demo, the benchmark and the end-to-end tests: wrangler's programmatic dev server
 * (`DevEnv`, env `dev`, wrangler.toml), addressed directly.
 *
 * wrangler's dev server puts a proxy worker in front of the user worker (so it can hold requests while it reloads):
 * every request then crosses a second workerd process and a singleton Durable Object, which serialises them
 * (`npm run bench -- --via-proxy` measures the difference; docs/performance.md). Nothing here reloads, so the harnesses talk to the user worker's
 * own address (`reloadComplete`'s `proxyData.userWorkerUrl`) and leave `PUBLIC_URL` unset: the worker then takes
 * its public origin from the request that starts a run (functions/runs.ts), so QStash calls it directly too.
 * `npm run dev` keeps the usual `wrangler dev` with its proxy (fixed port, live reload).
 */
import { join } from "node:path";
import { buildDashboard } from "./build-dashboard.js";
import { PROJECT_ROOT } from "./project-root.js";
import { takeOverSignals } from "./signals.js";

/** A plain-text worker binding, as wrangler's `StartDevWorkerInput["bindings"]` takes it. */
export type PlainTextBindings = Record<string, { type: "plain_text"; value: string }>;

/** A running worker. */
export interface LocalWorker {
  /** The user worker's own origin, e.g. `http://127.0.0.1:40123` (no proxy in between). */
  url: string;
  /** The origin of wrangler's proxy worker in front of it (what `wrangler dev` serves), for comparison. */
  proxyUrl: string;
  /** Stops workerd and wrangler's controllers. Safe to call twice. */
  dispose(): Promise<void>;
}

/** Options of {@link startLocalWorker}. */
export interface LocalWorkerOptions {
  /** Bindings that override `[env.dev.vars]` (see local/worker-bindings.ts; must not set `PUBLIC_URL`). */
  bindings: PlainTextBindings;
  /** wrangler's log level (default `error`). */
  logLevel?: "debug" | "info" | "log" | "warn" | "error" | "none";
  /**
   * Keep wrangler's local observability collector on (default false; see {@link startLocalWorker}). It is read from
   * the environment variable `X_LOCAL_OBSERVABILITY` when wrangler builds the worker's options, so this sets it.
   */
  localObservability?: boolean;
  /** Serve wrangler's `/__scheduled?cron=…` test route, which fires the `scheduled` handler (default false). */
  testScheduled?: boolean;
}

/**
 * Starts the worker (env `dev` of wrangler.toml) and resolves once it answers, with its direct address.
 * Sets `WRANGLER_SEND_METRICS=false` and `CLOUDFLARE_CF_FETCH_ENABLED=false` unless already set (offline: miniflare
 * would otherwise fetch a `Request.cf` sample from workers.cloudflare.com), and `X_LOCAL_OBSERVABILITY` to
 * `opts.localObservability` (default false). With it on (wrangler's default since its local explorer, 4.124 here),
 * wrangler attaches a streaming tail worker to the user worker that records every invocation into local storage, on
 * the same workerd thread as the worker itself: it roughly doubled that thread's CPU per trivial request here (about
 * 2.1 ms against 1.0 ms for `GET /healthz`), and `npm run bench -- --local-observability` measures what it costs a
 * run. Deployed workers have no such collector on the request path (Workers Logs are opt-in through
 * `[observability]`), so the harnesses run without it; `npm run dev` (the `wrangler dev` CLI) keeps wrangler's default.
 * @throws Error when `bindings` sets `PUBLIC_URL`, or wrangler's startup error (bad config, bundle error, workerd).
 */
export async function startLocalWorker(opts: LocalWorkerOptions): Promise<LocalWorker> {
  if ("PUBLIC_URL" in opts.bindings) {
    throw new Error("startLocalWorker: PUBLIC_URL must stay unset (the worker takes its origin from the request)");
  }
  process.env["WRANGLER_SEND_METRICS"] ??= "false";
  process.env["CLOUDFLARE_CF_FETCH_ENABLED"] ??= "false";
  process.env["X_LOCAL_OBSERVABILITY"] = String(opts.localObservability ?? false);
  await buildDashboard(); // the static assets of wrangler.toml [assets]
  const { unstable_DevEnv } = await import("wrangler");
  const devEnv = new unstable_DevEnv();
  const userWorkerUrl = new Promise<string>((resolve) => {
    devEnv.once(
      "reloadComplete",
      (event: { proxyData: { userWorkerUrl: { protocol: string; hostname: string; port: string } } }) => {
        const u = event.proxyData.userWorkerUrl;
        resolve(`${u.protocol}//${u.hostname}:${u.port}`);
      },
    );
  });
  const worker = await devEnv.startWorker({
    config: join(PROJECT_ROOT, "wrangler.toml"),
    env: "dev",
    // the proxy still listens (wrangler always starts it), on a port of its own choosing; nothing uses it
    dev: {
      server: { hostname: "127.0.0.1", port: 0 },
      inspector: false,
      watch: false,
      testScheduled: opts.testScheduled ?? false,
      logLevel: opts.logLevel ?? "error",
    },
    bindings: opts.bindings,
  });
  let disposing: Promise<void> | undefined;
  const dispose = () => (disposing ??= worker.dispose());
  try {
    await worker.ready;
    // wrangler's own signal handlers kill workerd and exit at once: the tool's guard (if any) takes over
    takeOverSignals();
    const [url, proxy] = await Promise.all([userWorkerUrl, worker.url]);
    return { url, proxyUrl: proxy.origin, dispose };
  } catch (err) {
    await dispose().catch(() => undefined);
    throw err;
  }
}
