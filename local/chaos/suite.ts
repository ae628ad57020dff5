/**
 * The chaos suite: N seeded random DAGs (dag-generator.ts) through the worker (workerd), the local stack (Upstash
 * Redis REST over the real Redis + QStash emulator) and the fake Anthropic endpoint (provider-ledger.ts), with a
 * fault-injecting proxy (fault-proxy.ts) on each link: worker → Redis REST, worker → QStash API, QStash → worker
 * (the runs are started through that last proxy, so their public URL, hence every QStash destination, is the
 * proxy's). Runs start with bounded concurrency; each is followed until it is terminal or its deadline passes; the
 * worker is killed and restarted mid-run at the `workerKill` rate. The sweeper runs as in production, its cron fired
 * every {@link SWEEP_EVERY_MS} through wrangler's `/__scheduled` route with a grace of {@link SWEEPER_GRACE_SECONDS}
 * s; after the last run the suite lets it take every finished run off its active index (which books their calls
 * whose answer never reached the books). One run chosen by the seed is cancelled mid-flight and retried
 * (cancel-retry-hook.ts). Then every run is audited (audit.ts).
 * Reproducible as far as timing allows: the seed fixes the DAGs, the budgets, each hop's fault stream and the kill
 * schedule; which request draws which fault still follows the order requests arrive in, which timing changes.
 */
import { setTimeout as sleep } from "node:timers/promises";
import { Redis as IORedis } from "ioredis";
import { activeRunsKey } from "../../shared/state/run-index.js";
import { startFakeAiGatewayLog } from "../fake-providers/ai-gateway-log.js";
import { deleteKeysWithPrefix } from "../redis-cleanup.js";
import { type LocalStack, startLocalStack } from "../stack.js";
import { workerBindings } from "../worker-bindings.js";
import { auditRun, type ObservedRun, type RunAudit } from "./audit.js";
import { type CancelRetryOutcome, cancelAndRetryMidFlight } from "./cancel-retry-hook.js";
import { CHAOS_MODEL, type ChaosRunSpec, forCancelAndRetry, generateRun } from "./dag-generator.js";
import { auditEventLogs, type EventAudit } from "./event-audit.js";
import { FaultAttribution } from "./fault-attribution.js";
import { type FaultProxy, startFaultProxy } from "./fault-proxy.js";
import { type FaultCounts, type FaultRates, NO_FAULTS } from "./faults.js";
import { createPrng } from "./prng.js";
import { type LedgerProvider, startLedgerProvider } from "./provider-ledger.js";
import { type RestartableWorker, startRestartableWorker } from "./restartable-worker.js";
import { getOutputs, getRun, startRun } from "./run-api.js";

/** Options of {@link runChaosSuite}. */
export interface SuiteOptions {
  runs: number;
  seed: number;
  /** Runs in flight at once. */
  concurrency: number;
  /** A run not terminal this long after it started is stuck, ms. */
  deadlineMs: number;
  rates: FaultRates;
  /** Largest injected delay, ms. */
  delayMaxMs: number;
  /** The fake provider's answer latency, ms. */
  providerLatencyMs: number;
  /** Backing Redis URL. */
  redisUrl: string;
  /** Divisor of QStash's retry waits (local/stack.ts `retrySpeedup`): 100 turns 12 s, 148 s, 30 min into
   * 0.12 s, 1.5 s, 18 s, long enough for retries to outlast a worker restart. */
  retrySpeedup: number;
  /** Worker logs on. */
  verbose: boolean;
  /** Progress lines (one per run ended). */
  log(line: string): void;
}

/** What a suite produced. */
export interface SuiteResult {
  specs: ChaosRunSpec[];
  audits: RunAudit[];
  /** The audit of each run's event log (event-audit.ts), in `specs` order. */
  events: EventAudit[];
  /** Faults injected by kind (workerKill = restarts done). */
  faults: FaultCounts;
  restarts: number;
  cancelRetry: CancelRetryOutcome | null;
  elapsedMs: number;
}

/** QStash API paths that enqueue messages (the @upstash/qstash client's publish, batch and queue enqueue). */
const PUBLISH_PATH = /^\/v2\/(publish|batch|enqueue)\b/;

/** How often a run in flight is polled, ms. */
const POLL_MS = 500;

/** Longest wait for the QStash emulator to drain after the last run, ms. */
const DRAIN_MS = 20_000;

/** How often the suite fires the worker's cron (the sweeper), ms; production fires it every minute. */
export const SWEEP_EVERY_MS = 5_000;

/** The sweeper's grace period in the suite, s (`SWEEPER_GRACE_SECONDS`; 120 in production). */
export const SWEEPER_GRACE_SECONDS = 10;

/** Longest wait, after the drain, for the sweeper to take every finished run off its active index, ms: its period
 * (a run is looked at once a minute) and a margin. */
const SWEEP_OUT_MS = 75_000;

/** How long after a call's intent the worker reads it in the usage log, s (`USAGE_LOG.settleSeconds`; 900 by
 * default): the fake provider answers within a few seconds and writes its log at once. */
export const USAGE_LOG_SETTLE_SECONDS = 5;

/** The fake AI Gateway the suite's provider calls are logged by. */
const CHAOS_GATEWAY = { accountId: "chaos-account", gatewayId: "chaos-gateway", apiToken: "chaos-token" };

/** Things to stop at the end, latest first. */
type Closer = () => Promise<unknown>;

/** Handle to stop a suite early (Ctrl-C). */
export interface SuiteHandle {
  result: Promise<SuiteResult>;
  /** Stops everything started and deletes the suite's keys. */
  close(): Promise<void>;
}

/**
 * Starts the suite. The result rejects with the startup error (stack, proxies or worker) after cleaning up.
 */
export function runChaosSuite(opts: SuiteOptions): SuiteHandle {
  const closers: Closer[] = [];
  let closing: Promise<void> | undefined;
  const close = () =>
    (closing ??= (async () => {
      for (const c of closers.reverse()) await c().catch(() => undefined);
    })());
  const result = suite(opts, closers).finally(close);
  return { result, close };
}

async function suite(opts: SuiteOptions, closers: Closer[]): Promise<SuiteResult> {
  const began = Date.now();
  const root = createPrng(opts.seed);
  const dagRng = root.fork("dags");
  const killRng = root.fork("kills");
  const specs = Array.from({ length: opts.runs }, (_, i) => generateRun(dagRng, opts.seed, i));
  const cancelIndex = opts.runs > 0 ? root.fork("cancel").int(0, opts.runs - 1) : -1;
  // the run cancelled and retried must be able to complete after its retry: no compensation, budget or failing node
  if (cancelIndex >= 0) specs[cancelIndex] = forCancelAndRetry(specs[cancelIndex] as ChaosRunSpec);
  // faults stay off until every component is up, and again while the suite drains and reads the results
  const rates: FaultRates = { ...NO_FAULTS };
  const attribution = new FaultAttribution();
  const inFlight = new Set<string>();

  const stack: LocalStack = await startLocalStack({
    redisPort: 0,
    qstashPort: 0,
    redisUrl: opts.redisUrl,
    retrySpeedup: opts.retrySpeedup,
  });
  closers.push(() => stack.close());
  const provider: LedgerProvider = await startLedgerProvider(opts.providerLatencyMs);
  closers.push(() => provider.close());
  // the provider's calls as if through AI Gateway: its log is where the worker reads back a call whose answer was lost
  const gatewayLog = await startFakeAiGatewayLog({ calls: () => provider.fake.calls(), ...CHAOS_GATEWAY });
  closers.push(() => gatewayLog.close());
  const proxy = (
    hop: "redis" | "qstash" | "delivery",
    upstream: string | null,
    eligible: (m: string, p: string) => boolean,
  ) =>
    startFaultProxy({
      hop,
      upstream,
      rates,
      prng: root.fork(hop),
      delayMaxMs: opts.delayMaxMs,
      eligible,
      onFault: (kind, _m, _p, body) => attribution.record(kind, body.toString("utf8")),
    });
  const redisProxy = await proxy("redis", stack.redisRestUrl, () => true);
  closers.push(() => redisProxy.close());
  const qstashProxy = await proxy("qstash", stack.qstashUrl, (m, p) => m === "POST" && PUBLISH_PATH.test(p));
  closers.push(() => qstashProxy.close());
  const deliveryProxy: FaultProxy = await proxy("delivery", null, (_m, p) => p.startsWith("/internal/"));
  closers.push(() => deliveryProxy.close());

  const prefix = `chaos-${opts.seed}-${Math.random().toString(36).slice(2, 8)}`;
  if (stack.backend === "redis") closers.unshift(() => deleteKeysWithPrefix(opts.redisUrl, prefix));
  const bindings = workerBindings(
    { ...stack, redisRestUrl: redisProxy.url, qstashUrl: qstashProxy.url, signingKeys: stack.signingKeys },
    {
      KEY_PREFIX: prefix,
      PROVIDERS: JSON.stringify({
        anthropic: { type: "anthropic", baseUrl: provider.fake.baseUrl, apiKeySecret: "ANTHROPIC_API_KEY" },
      }),
      ANTHROPIC_API_KEY: "fake-key",
      DEFAULT_PROVIDER: "anthropic",
      TIERS: JSON.stringify({ anthropic: { fast: CHAOS_MODEL, balanced: CHAOS_MODEL, deep: CHAOS_MODEL } }),
      SWEEPER_GRACE_SECONDS: String(SWEEPER_GRACE_SECONDS),
      SWEEPER_BATCH: "50",
      USAGE_LOG: JSON.stringify({
        type: "ai-gateway",
        accountId: CHAOS_GATEWAY.accountId,
        gatewayId: CHAOS_GATEWAY.gatewayId,
        apiBaseUrl: gatewayLog.apiBaseUrl,
        settleSeconds: USAGE_LOG_SETTLE_SECONDS,
        providers: ["anthropic"],
      }),
      CLOUDFLARE_API_TOKEN: CHAOS_GATEWAY.apiToken,
    },
  );
  const worker: RestartableWorker = await startRestartableWorker(bindings, deliveryProxy, opts.verbose);
  closers.push(() => worker.dispose());
  const base = deliveryProxy.url;
  // the cron: workerd fires none under wrangler's dev server; a failed firing (worker restarting) waits for the next
  const fireCron = () =>
    fetch(`${base}/__scheduled?cron=${encodeURIComponent("* * * * *")}`, { signal: AbortSignal.timeout(30_000) })
      .then((r) => r.text())
      .catch(() => undefined);
  let cronBusy = false;
  const cron = setInterval(() => {
    if (cronBusy) return;
    cronBusy = true;
    void fireCron().finally(() => {
      cronBusy = false;
    });
  }, SWEEP_EVERY_MS);
  closers.push(async () => clearInterval(cron));

  Object.assign(rates, opts.rates);
  const kills = new Set<ReturnType<typeof setTimeout>>();
  let cancelRetry: CancelRetryOutcome | null = null;
  const observed: ObservedRun[] = new Array(specs.length);
  let next = 0;
  let ended = 0;

  const follow = async (i: number): Promise<void> => {
    const spec = specs[i] as ChaosRunSpec;
    const t0 = Date.now();
    const seen: ObservedRun = {
      runId: null,
      startError: null,
      terminalByDeadline: false,
      view: null,
      outputs: null,
      faults: {},
      nodeFaults: {},
    };
    observed[i] = seen;
    try {
      seen.runId = await startRun(base, spec.body, `${prefix}-${spec.tag}`, opts.deadlineMs);
    } catch (err) {
      seen.startError = err instanceof Error ? err.message : String(err);
    }
    if (seen.runId !== null) {
      inFlight.add(seen.runId);
      if (killRng.chance(rates.workerKill)) {
        const timer = setTimeout(
          () => {
            kills.delete(timer);
            attribution.recordAll("workerKill", inFlight);
            const t = Date.now();
            worker.restart().then(
              () => opts.log(`worker killed and restarted (${inFlight.size} runs in flight, ${Date.now() - t} ms)`),
              (err: unknown) => opts.log(`worker restart failed: ${String(err)}`),
            );
          },
          killRng.int(200, 3_000),
        );
        kills.add(timer);
      }
      // the run followed must not be seen ended by its cancel: it ends after the retry
      if (i === cancelIndex)
        cancelRetry = await cancelAndRetryMidFlight(base, seen.runId, (t) => provider.callsSince(spec.tag, t));
      while (Date.now() - t0 < opts.deadlineMs) {
        try {
          const view = await getRun(base, seen.runId, Math.max(1, opts.deadlineMs - (Date.now() - t0)));
          if (view.status !== "running" && view.status !== "compensating") {
            seen.terminalByDeadline = true;
            break;
          }
        } catch {
          // the worker is down or Redis refused for too long: try again until the deadline
        }
        await sleep(POLL_MS);
      }
    }
    if (seen.runId !== null) inFlight.delete(seen.runId);
    ended += 1;
    const state = seen.startError ? "start-error" : seen.terminalByDeadline ? "ended" : "STUCK";
    opts.log(
      `[${ended}/${specs.length}] ${spec.tag} ${spec.shape}/${spec.nodes.length} ${state} ${((Date.now() - t0) / 1000).toFixed(1)} s`,
    );
  };
  await Promise.all(
    Array.from({ length: Math.min(opts.concurrency, specs.length) }, async () => {
      while (next < specs.length) await follow(next++);
    }),
  );

  // stop injecting, let the emulator drain, then read every run as it is now
  for (const t of kills) clearTimeout(t);
  Object.assign(rates, NO_FAULTS);
  const restarts = worker.restarts();
  await Promise.race([stack.idle(), sleep(DRAIN_MS)]);
  await sweepOut(opts.redisUrl, stack.backend === "redis" ? activeRunsKey(prefix) : null, fireCron);
  for (let i = 0; i < specs.length; i += opts.concurrency) {
    await Promise.all(
      observed.slice(i, i + opts.concurrency).map(async (seen) => {
        if (!seen?.runId) return;
        seen.view = await getRun(base, seen.runId, 30_000).catch(() => null);
        seen.outputs = await getOutputs(base, seen.runId, 30_000).catch(() => null);
      }),
    );
  }
  for (const seen of observed) {
    if (!seen?.runId) continue;
    seen.faults = attribution.of(seen.runId);
    seen.nodeFaults = attribution.nodesOf(seen.runId);
  }
  // each run's event log against its DAG and its view (event-audit.ts)
  const events = await auditEventLogs(base, specs, observed, opts.concurrency);
  const ledger = provider.ledger();
  const audits = specs.map((spec, i) => auditRun(spec, observed[i] as ObservedRun, ledger.get(spec.tag) ?? new Map()));
  const faults: FaultCounts = { ...redisProxy.counts(), ...qstashProxy.counts(), ...deliveryProxy.counts() };
  if (restarts > 0) faults.workerKill = restarts;
  return { specs, audits, events, faults, restarts, cancelRetry, elapsedMs: Date.now() - began };
}

/**
 * Fires the cron until the sweeper's active index (`activeKey` in the Redis at `redisUrl`) is empty, or for
 * {@link SWEEP_OUT_MS}: a finished run leaves it at its next look, once a minute. Without Redis (`activeKey` null),
 * fires it for that long.
 */
async function sweepOut(redisUrl: string, activeKey: string | null, fireCron: () => Promise<unknown>): Promise<void> {
  const until = Date.now() + SWEEP_OUT_MS;
  const redis = activeKey ? new IORedis(redisUrl, { lazyConnect: true, maxRetriesPerRequest: 1 }) : null;
  try {
    await redis?.connect();
    while (Date.now() < until) {
      await fireCron();
      if (redis && activeKey && (await redis.zcard(activeKey)) === 0) return;
      await sleep(2_000);
    }
  } finally {
    redis?.disconnect();
  }
}
