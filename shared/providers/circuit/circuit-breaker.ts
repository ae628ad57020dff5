/**
 * A circuit breaker per provider and model, shared by every isolate through Redis (lua/circuit.ts): after
 * `threshold` breaker failures (breaker-failure.ts: 5xx, overloaded, timeouts) within `windowMs`, with no answer in
 * between, the circuit opens and calls to that model stop for `cooldownMs`; then exactly one call, the half-open
 * probe, goes through (a lease of `probeLeaseMs`): its answer closes the circuit, its failure reopens it.
 *
 * Hot path: each isolate keeps what it last read for `cacheMs` (closed) or until the cool-down ends (open), so a
 * closed circuit costs at most one script call per model per `cacheMs` per isolate, and a call's answer is only
 * written when it matters (a probe, or failures counted before it).
 */
import type { Redis } from "@upstash/redis";
import { LuaScripts } from "../../util/lua-scripts.js";
import { CIRCUIT_CHECK_LUA, CIRCUIT_RECORD_LUA, CIRCUIT_RELEASE_PROBE_LUA } from "./lua/circuit.js";

/** Settings of a {@link CircuitBreaker}; durations in ms. */
export interface CircuitSettings {
  /** Breaker failures within `windowMs` that open the circuit (config `CIRCUIT_FAILURES`, default 5). */
  threshold: number;
  /** Window in which failures add up, ms (config `CIRCUIT_WINDOW_SECONDS`, default 60 s). */
  windowMs: number;
  /** How long an opened circuit stays open before its probe, ms (config `CIRCUIT_COOLDOWN_SECONDS`, default 30 s). */
  cooldownMs: number;
  /** Lease of the half-open probe, ms: if its answer never comes (the isolate died), another probe may go after it.
   * Default {@link DEFAULT_CIRCUIT_SETTINGS}. */
  probeLeaseMs: number;
  /** How long an isolate trusts a closed state it read, ms (default 1 s). */
  cacheMs: number;
}

/** Default settings: 5 failures in 60 s open the circuit for 30 s; a probe holds its lease 30 s; reads kept 1 s. */
export const DEFAULT_CIRCUIT_SETTINGS: CircuitSettings = {
  threshold: 5,
  windowMs: 60_000,
  cooldownMs: 30_000,
  probeLeaseMs: 30_000,
  cacheMs: 1_000,
};

/**
 * Whether a call may go to a model:
 * - `closed`: go (`failures`: breaker failures counted so far in the window);
 * - `probe`: go, as the half-open probe (report its outcome with `probe: true`);
 * - `open`: do not call; `retryAfterMs` until the cool-down (or the probe in flight's lease) ends.
 */
export type CircuitVerdict =
  | { state: "closed"; failures: number }
  | { state: "probe"; leaseEndMs: number }
  | { state: "open"; retryAfterMs: number };

/** What a call that went through found: `failure` (a breaker failure) or `success` (the provider answered). */
export type CircuitOutcome = "failure" | "success";

/** The slice of the Upstash Redis client the breaker uses (created with `automaticDeserialization: false`). */
export type CircuitRedis = Pick<Redis, "createScript">;

interface Seen {
  verdict: "closed" | "open" | "probing" | "probe";
  failures: number;
  untilMs: number;
  readAt: number;
}

/** The breaker of one isolate; its state lives in Redis under `<prefix>:circuit:<provider>:<model>`. */
export class CircuitBreaker {
  private readonly scripts: LuaScripts<"check" | "record" | "releaseProbe">;
  private readonly seen = new Map<string, Seen>();
  private readonly settings: CircuitSettings;

  /**
   * @param redis Upstash Redis client (raw replies).
   * @param prefix key prefix (config `KEY_PREFIX`).
   * @param settings thresholds and durations; missing ones take {@link DEFAULT_CIRCUIT_SETTINGS}.
   * @param now clock, ms since epoch.
   */
  constructor(
    redis: CircuitRedis,
    private readonly prefix: string,
    settings: Partial<CircuitSettings> = {},
    private readonly now: () => number = Date.now,
  ) {
    this.scripts = new LuaScripts(redis, {
      check: CIRCUIT_CHECK_LUA,
      record: CIRCUIT_RECORD_LUA,
      releaseProbe: CIRCUIT_RELEASE_PROBE_LUA,
    });
    this.settings = { ...DEFAULT_CIRCUIT_SETTINGS, ...settings };
  }

  /** The Redis key of a circuit: `<prefix>:circuit:<provider>:<model>`. */
  key(provider: string, model: string): string {
    return `${this.prefix}:circuit:${provider}:${model}`;
  }

  /**
   * Whether a call to `provider`/`model` may go now. Served from this isolate's memory when it read a closed state
   * less than `cacheMs` ago or an open one whose cool-down has not ended; otherwise one script call (which, after the
   * cool-down, hands the probe lease to exactly one caller across isolates).
   * @throws UpstashError when Redis fails.
   */
  async check(provider: string, model: string): Promise<CircuitVerdict> {
    const key = this.key(provider, model);
    const now = this.now();
    const seen = this.seen.get(key);
    if (seen) {
      if (seen.verdict === "open" && now < seen.untilMs) return { state: "open", retryAfterMs: seen.untilMs - now };
      if (seen.verdict !== "open" && now - seen.readAt < this.settings.cacheMs) {
        if (seen.verdict === "closed") return { state: "closed", failures: seen.failures };
        // a probe is in flight (here or elsewhere): come back when its lease ends (its answer may close it sooner,
        // which this isolate reads again after cacheMs)
        return { state: "open", retryAfterMs: Math.max(1, seen.untilMs - now) };
      }
    }
    const [verdict, failures, untilMs] = await this.scripts.exec("check", [key], [now, this.settings.probeLeaseMs]);
    const v = String(verdict) as Seen["verdict"];
    this.seen.set(key, { verdict: v, failures: Number(failures), untilMs: Number(untilMs), readAt: now });
    if (v === "closed") return { state: "closed", failures: Number(failures) };
    if (v === "probe") return { state: "probe", leaseEndMs: Number(untilMs) };
    return { state: "open", retryAfterMs: Math.max(1, Number(untilMs) - now) };
  }

  /**
   * Gives back a probe lease whose holder made no call after all (circuit_release_probe): the next caller probes at
   * once. Changes nothing when a newer lease was handed out meanwhile.
   * @param leaseEndMs the lease's end as {@link check} answered it (`leaseEndMs` of a `probe` verdict), ms since epoch.
   * @throws UpstashError when Redis fails.
   */
  async releaseProbe(provider: string, model: string, leaseEndMs: number): Promise<void> {
    await this.scripts.exec("releaseProbe", [this.key(provider, model)], [leaseEndMs]);
  }

  /**
   * Reports the outcome of a call that went through. A `success` is written only when it changes something (the
   * call was the probe, or failures were counted before it); a `failure` always is.
   * @param probe true when {@link check} answered `probe` for this call.
   * @returns true when a script call was made.
   * @throws UpstashError when Redis fails.
   */
  async record(provider: string, model: string, outcome: CircuitOutcome, probe = false): Promise<boolean> {
    const key = this.key(provider, model);
    const seen = this.seen.get(key);
    if (outcome === "success" && !probe && seen?.verdict === "closed" && seen.failures === 0) return false;
    if (outcome === "success" && !probe && !seen) return false;
    const s = this.settings;
    const now = this.now();
    const ttlMs = s.windowMs + s.cooldownMs + s.probeLeaseMs + 3_600_000;
    const [state, failures, untilMs] = await this.scripts.exec(
      "record",
      [key],
      [outcome, now, s.windowMs, s.threshold, s.cooldownMs, probe ? 1 : 0, ttlMs],
    );
    this.seen.set(key, {
      verdict: String(state) === "open" ? "open" : "closed",
      failures: Number(failures),
      untilMs: Number(untilMs),
      readAt: now,
    });
    return true;
  }
}
