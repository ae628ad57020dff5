/**
 * The worker of the chaos suite behind its delivery proxy: started with local/local-worker.ts, and killed and
 * started again on demand. QStash and the runner only ever see the proxy's origin (the runs' public URL), so the
 * new workerd may listen on another port: while it is down the proxy drops every connection, as a dead worker's
 * address would.
 */
import { type LocalWorker, type PlainTextBindings, startLocalWorker } from "../local-worker.js";
import type { FaultProxy } from "./fault-proxy.js";

/** How long one start of the worker may take before it is abandoned, ms (a start takes 5-10 s here). */
export const START_TIMEOUT_MS = 60_000;

/** Starts tried before a restart gives up. */
export const START_TRIES = 3;

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
  const once = () => startLocalWorker({ bindings, logLevel: verbose ? "log" : "none", testScheduled: true });
  // wrangler's dev environment has been seen never to finish a start (no `reloadComplete`): a start that takes
  // longer than START_TIMEOUT_MS is abandoned (disposed if it ever ends) and tried again, up to START_TRIES times
  const start = async (): Promise<LocalWorker> => {
    for (let i = 1; ; i++) {
      const attempt = once();
      const timedOut = Symbol("timed out");
      let timer: ReturnType<typeof setTimeout> | undefined;
      const first = await Promise.race([
        attempt,
        new Promise<typeof timedOut>((resolve) => {
          timer = setTimeout(() => resolve(timedOut), START_TIMEOUT_MS);
        }),
      ]).finally(() => clearTimeout(timer));
      if (first !== timedOut) return first;
      void attempt.then((late) => late.dispose()).catch(() => undefined);
      if (i >= START_TRIES)
        throw new Error(`the worker did not start in ${START_TRIES} tries of ${START_TIMEOUT_MS} ms`);
    }
  };
  let worker: LocalWorker | null = await start();
  proxy.setUpstream(worker.url);
  let restarts = 0;
  let busy: Promise<void> | null = null;
  return {
    restart: () =>
      (busy ??= (async () => {
        proxy.setUpstream(null);
        // a dispose that never ends must not keep the worker down: the next start uses other ports
        const old = worker;
        worker = null;
        await Promise.race([old?.dispose(), new Promise((resolve) => setTimeout(resolve, START_TIMEOUT_MS).unref())]);
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
