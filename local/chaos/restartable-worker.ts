/**
 * The worker of the chaos suite behind its delivery proxy: started with local/local-worker.ts, and killed and
 * started again on demand. QStash and the runner only ever see the proxy's origin (the runs' public URL), so the
 * new workerd may listen on another port: while it is down the proxy drops every connection, as a dead worker's
 * address would.
 */
import { type LocalWorker, type PlainTextBindings, startLocalWorker } from "../local-worker.js";
import type { FaultProxy } from "./fault-proxy.js";

/** A worker that can be killed and restarted. */
export interface RestartableWorker {
  /** Disposes the running worker (in-flight requests are cut), starts a new one, points the proxy at it. */
  restart(): Promise<void>;
  /** Restarts done so far. */
  restarts(): number;
  /** Stops the worker. */
  dispose(): Promise<void>;
}

/**
 * Starts the worker and points `proxy` at it.
 * @throws wrangler's startup error.
 */
export async function startRestartableWorker(
  bindings: PlainTextBindings,
  proxy: FaultProxy,
  verbose: boolean,
): Promise<RestartableWorker> {
  // the suite fires the sweeper's cron through wrangler's `/__scheduled` route: workerd runs no cron by itself
  const start = () => startLocalWorker({ bindings, logLevel: verbose ? "log" : "none", testScheduled: true });
  let worker: LocalWorker | null = await start();
  proxy.setUpstream(worker.url);
  let restarts = 0;
  let busy: Promise<void> | null = null;
  return {
    restart: () =>
      (busy ??= (async () => {
        proxy.setUpstream(null);
        await worker?.dispose();
        worker = null;
        worker = await start();
        proxy.setUpstream(worker.url);
        restarts += 1;
      })().finally(() => {
        busy = null;
      })),
    restarts: () => restarts,
    dispose: async () => {
      await busy?.catch(() => undefined);
      proxy.setUpstream(null);
      await worker?.dispose();
    },
  };
}
