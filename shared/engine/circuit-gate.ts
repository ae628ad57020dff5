/**
 * The circuit breaker in front of a node's provider call (shared/providers/circuit/): the routed model if its circuit
 * lets the call through, else the first configured fallback of its tier (config `MODEL_FALLBACKS`) whose circuit does,
 * else a retryable failure that comes back when the cool-down ends. The simulated provider has no circuit.
 */

import { breakerOutcomeOf } from "../providers/circuit/breaker-failure.js";
import type { CircuitBreaker, CircuitVerdict } from "../providers/circuit/circuit-breaker.js";
import { ProviderError } from "../providers/provider.js";
import type { Tier } from "../routing/tier.js";
import type { Engine } from "./engine.js";

/** Where the call goes after the breaker, and how to report its outcome. */
export interface CircuitPass {
  provider: string;
  model: string;
  /** `fallback: <model> (<provider>:<model> circuit open)` when a fallback was chosen, else null. */
  note: string | null;
  /**
   * Reports how the call to `provider`/`model` ended: `err` undefined for an answer, else what it threw (classified by
   * breaker-failure.ts). Best effort: a Redis failure is logged, never thrown.
   */
  report(provider: string, model: string, err?: unknown): Promise<void>;
  /**
   * For a pass that made no call after all (its budget refused it, or a downgrade sent it to another model): gives
   * back its half-open probe lease, if it held one, so the next caller probes at once. Best effort, never throws.
   */
  release(): Promise<void>;
}

/**
 * Decides where a routed call goes (see the file comment). A breaker that cannot read Redis lets the call through
 * (the breaker protects the provider; it must not become an outage of its own).
 * @param route the routing decision: provider, model and tier (null: a model outside the tier map, no fallback).
 * @param options `fallbacks: false` checks the model's own circuit only (a budget downgrade's model, whose price the
 *   reservation fixed: a fallback could cost more).
 * @throws ProviderError `rate-limited` (code `circuit_open`, `retryAfterSeconds` = the cool-down left, ≥ 1) when the
 *   circuit is open and no fallback can take the call: the attempt fails retryably and QStash comes back then.
 */
export async function passCircuit(
  engine: Pick<Engine, "circuits" | "routing" | "providers">,
  route: { provider: string; model: string; tier: Tier | null },
  options: { fallbacks?: boolean } = {},
): Promise<CircuitPass> {
  const breaker = engine.circuits;
  const pass = (provider: string, model: string, probe: number | null, note: string | null): CircuitPass => ({
    provider,
    model,
    note,
    release: async () => {
      if (!breaker || probe === null) return;
      await breaker.releaseProbe(provider, model, probe).catch((e: unknown) => {
        console.error(`circuit ${provider}:${model}: probe lease not given back (${String(e)})`);
      });
    },
    report: async (p, m, err) => {
      if (!breaker || p === "simulated") return;
      const outcome = err === undefined ? "success" : breakerOutcomeOf(err, p);
      if (!outcome) return;
      await breaker.record(p, m, outcome, probe !== null && p === provider && m === model).catch((e: unknown) => {
        console.error(`circuit ${p}:${m}: outcome not recorded (${String(e)})`);
      });
    },
  });
  if (!breaker || route.provider === "simulated") return pass(route.provider, route.model, null, null);
  const verdict = await checkSafely(breaker, route.provider, route.model);
  if (verdict.state !== "open")
    return pass(route.provider, route.model, verdict.state === "probe" ? verdict.leaseEndMs : null, null);
  const fallbacks = route.tier && options.fallbacks !== false ? (engine.routing.fallbacks?.[route.tier] ?? []) : [];
  for (const f of fallbacks) {
    if ((f.provider === route.provider && f.model === route.model) || !engine.providers.has(f.provider)) continue;
    const v: CircuitVerdict =
      f.provider === "simulated" ? { state: "closed", failures: 0 } : await checkSafely(breaker, f.provider, f.model);
    if (v.state === "open") continue;
    return pass(
      f.provider,
      f.model,
      v.state === "probe" ? v.leaseEndMs : null,
      `fallback: ${f.model} (${route.provider}:${route.model} circuit open)`,
    );
  }
  const seconds = Math.max(1, Math.ceil(verdict.retryAfterMs / 1000));
  const why =
    options.fallbacks === false
      ? "a budget downgrade's model takes no fallback"
      : fallbacks.length > 0
        ? "every fallback of its tier is open too"
        : "no fallback configured for its tier";
  throw new ProviderError(
    "rate-limited",
    `${route.provider}:${route.model} circuit open after repeated provider failures (${why}); retry in ${seconds} s`,
    seconds,
    { provider: route.provider, code: "circuit_open" },
  );
}

async function checkSafely(breaker: CircuitBreaker, provider: string, model: string): Promise<CircuitVerdict> {
  try {
    return await breaker.check(provider, model);
  } catch (err) {
    console.error(`circuit ${provider}:${model}: state not read, letting the call through (${String(err)})`);
    return { state: "closed", failures: 0 };
  }
}
