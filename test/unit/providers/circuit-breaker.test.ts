import type { Redis } from "@upstash/redis";
import { APICallError } from "ai";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { LocalStack } from "../../../local/stack.js";
import { breakerOutcomeOf } from "../../../shared/providers/circuit/breaker-failure.js";
import { CircuitBreaker, type CircuitRedis } from "../../../shared/providers/circuit/circuit-breaker.js";
import { ProviderError } from "../../../shared/providers/provider.js";
import { STORE_BACKENDS, startStoreBackend, stopStoreBackend, storeRedis } from "../../support/store-backends.js";

const SETTINGS = { threshold: 3, windowMs: 10_000, cooldownMs: 5_000, probeLeaseMs: 2_000, cacheMs: 1_000 };

/** A Redis whose script calls are counted (what one node's breaker costs). */
function counting(redis: Redis): { redis: CircuitRedis; calls: () => number } {
  let n = 0;
  return {
    redis: {
      createScript: ((src: string) => {
        const script = redis.createScript(src);
        return { exec: (...a: Parameters<typeof script.exec>) => (n++, script.exec(...a)) };
      }) as unknown as CircuitRedis["createScript"],
    },
    calls: () => n,
  };
}

describe.each(STORE_BACKENDS)("circuit breaker on $name", ({ memory }) => {
  const prefix = `test-circuit-${Math.random().toString(36).slice(2, 10)}`;
  let stack: LocalStack | undefined;
  let redis: Redis;
  let clock = 1_000_000;
  let seq = 0;
  const now = () => clock;
  const isolate = (r: CircuitRedis = redis) => new CircuitBreaker(r, prefix, SETTINGS, now);
  const nextModel = () => `model-${++seq}`;

  beforeAll(async () => {
    stack = await startStoreBackend(memory);
    redis = storeRedis(stack);
  });
  afterAll(async () => {
    await stopStoreBackend(stack, prefix);
  });

  it("uses the requested backend", () => {
    expect(stack?.backend).toBe(memory ? "memory" : "redis");
  });

  it("DoS: opens after `threshold` failures within the window, counted across isolates, and every isolate stops calling", async () => {
    const m = nextModel();
    const [a, b, c] = [isolate(), isolate(), isolate()];
    expect(await a.check("p", m)).toEqual({ state: "closed", failures: 0 });
    await a.record("p", m, "failure");
    clock += 100;
    await b.record("p", m, "failure");
    expect(await c.check("p", m)).toEqual({ state: "closed", failures: 2 });
    clock += 100;
    await a.record("p", m, "failure");
    // c read "closed" 100 ms ago: it trusts that for cacheMs, then reads the open state
    clock += SETTINGS.cacheMs;
    expect(await c.check("p", m)).toEqual({ state: "open", retryAfterMs: SETTINGS.cooldownMs - SETTINGS.cacheMs });
    expect(await isolate().check("p", m)).toMatchObject({ state: "open" });
    // the same model of another provider, and another model, are not affected
    expect(await isolate().check("q", m)).toEqual({ state: "closed", failures: 0 });
    expect(await isolate().check("p", nextModel())).toEqual({ state: "closed", failures: 0 });
  });

  it("DoS: failures further apart than the window do not add up, and an answer in between resets the count", async () => {
    const m = nextModel();
    const a = isolate();
    await a.check("p", m);
    await a.record("p", m, "failure");
    await a.record("p", m, "failure");
    clock += SETTINGS.windowMs + 1;
    await a.record("p", m, "failure"); // a new window: 1
    await a.record("p", m, "success"); // written: failures were counted
    await a.record("p", m, "failure");
    await a.record("p", m, "failure");
    clock += SETTINGS.cacheMs;
    expect(await isolate().check("p", m)).toEqual({ state: "closed", failures: 2 });
    await a.record("p", m, "failure");
    expect(await isolate().check("p", m)).toMatchObject({ state: "open" });
  });

  it("DoS: after the cool-down exactly one caller across isolates gets the half-open probe; its answer closes the circuit", async () => {
    const m = nextModel();
    const a = isolate();
    for (let i = 0; i < SETTINGS.threshold; i++) await a.record("p", m, "failure");
    clock += SETTINGS.cooldownMs;
    const isolates = Array.from({ length: 8 }, () => isolate());
    const verdicts = await Promise.all(isolates.map((i) => i.check("p", m)));
    const probes = verdicts.filter((v) => v.state === "probe");
    expect(probes).toHaveLength(1);
    // the others come back when the probe's lease ends
    for (const v of verdicts.filter((x) => x.state !== "probe")) {
      expect(v).toEqual({ state: "open", retryAfterMs: SETTINGS.probeLeaseMs });
    }
    const prober = isolates[verdicts.findIndex((v) => v.state === "probe")] as CircuitBreaker;
    // a second call in the prober's isolate does not probe too
    expect(await prober.check("p", m)).toMatchObject({ state: "open" });
    await prober.record("p", m, "success", true);
    expect(await prober.check("p", m)).toEqual({ state: "closed", failures: 0 });
    clock += SETTINGS.cacheMs;
    for (const i of isolates) expect(await i.check("p", m)).toEqual({ state: "closed", failures: 0 });
  });

  it("DoS: a failed probe reopens the circuit for another cool-down; a late failure of an older call does not extend it", async () => {
    const m = nextModel();
    const a = isolate();
    for (let i = 0; i < SETTINGS.threshold; i++) await a.record("p", m, "failure");
    clock += SETTINGS.cooldownMs;
    expect(await a.check("p", m)).toMatchObject({ state: "probe" });
    clock += 500;
    await a.record("p", m, "failure", true);
    expect(await isolate().check("p", m)).toEqual({ state: "open", retryAfterMs: SETTINGS.cooldownMs });
    clock += 1000;
    await isolate().record("p", m, "failure"); // not the probe: changes nothing
    await isolate().record("p", m, "success"); // nor does a success that is not the probe
    expect(await isolate().check("p", m)).toEqual({ state: "open", retryAfterMs: SETTINGS.cooldownMs - 1000 });
  });

  it("DoS: a probe that made no call after all gives its lease back: the next caller probes at once, not after the lease", async () => {
    const m = nextModel();
    const a = isolate();
    for (let i = 0; i < SETTINGS.threshold; i++) await a.record("p", m, "failure");
    clock += SETTINGS.cooldownMs;
    const first = await isolate().check("p", m);
    if (first.state !== "probe") throw new Error(`expected the probe, got ${first.state}`);
    expect(await isolate().check("p", m)).toEqual({ state: "open", retryAfterMs: SETTINGS.probeLeaseMs });
    // its budget refused the call: the lease goes back
    await isolate().releaseProbe("p", m, first.leaseEndMs);
    clock += 1;
    expect(await isolate().check("p", m)).toMatchObject({ state: "probe" });
    // a stale release (of a lease already handed on) changes nothing
    await isolate().releaseProbe("p", m, first.leaseEndMs);
    expect(await isolate().check("p", m)).toEqual({ state: "open", retryAfterMs: SETTINGS.probeLeaseMs });
  });

  it("expiry: a probe whose answer never comes holds its lease only until it ends, then another probe may go", async () => {
    const m = nextModel();
    const a = isolate();
    for (let i = 0; i < SETTINGS.threshold; i++) await a.record("p", m, "failure");
    clock += SETTINGS.cooldownMs;
    expect(await isolate().check("p", m)).toMatchObject({ state: "probe" }); // this isolate dies
    expect(await isolate().check("p", m)).toEqual({ state: "open", retryAfterMs: SETTINGS.probeLeaseMs });
    clock += SETTINGS.probeLeaseMs;
    expect(await isolate().check("p", m)).toMatchObject({ state: "probe" });
  });

  it("DoS: a closed circuit costs at most one script call per model per cacheMs in an isolate, and answers write nothing", async () => {
    const m = nextModel();
    const counted = counting(redis);
    const a = isolate(counted.redis);
    for (let node = 0; node < 20; node++) {
      expect(await a.check("p", m)).toEqual({ state: "closed", failures: 0 });
      expect(await a.record("p", m, "success")).toBe(false);
      clock += 10;
    }
    expect(counted.calls()).toBe(1);
    clock += SETTINGS.cacheMs;
    await a.check("p", m);
    expect(counted.calls()).toBe(2);
    // an open circuit is not read again before its cool-down ends
    for (let i = 0; i < SETTINGS.threshold; i++) await a.record("p", m, "failure");
    const before = counted.calls();
    for (let node = 0; node < 20; node++) expect((await a.check("p", m)).state).toBe("open");
    expect(counted.calls()).toBe(before);
  });
});

describe("what counts as a breaker failure", () => {
  const apiError = (status: number, body?: object) =>
    new APICallError({
      message: `HTTP ${status}`,
      url: "https://api.example/v1/messages",
      requestBodyValues: {},
      statusCode: status,
      responseBody: body ? JSON.stringify(body) : undefined,
      isRetryable: status >= 500,
    });

  it("DoS: 5xx, 529 overloaded, timeouts and network failures count; 4xx answers (429 included) and a cancel do not", () => {
    expect(breakerOutcomeOf(apiError(500), "a")).toBe("failure");
    expect(breakerOutcomeOf(apiError(503), "a")).toBe("failure");
    expect(breakerOutcomeOf(apiError(529, { type: "error", error: { type: "overloaded_error" } }), "a")).toBe(
      "failure",
    );
    expect(breakerOutcomeOf(apiError(408), "a")).toBe("failure");
    expect(breakerOutcomeOf(new DOMException("timed out", "TimeoutError"), "a")).toBe("failure");
    expect(breakerOutcomeOf(new TypeError("fetch failed"), "a")).toBe("failure");
    expect(breakerOutcomeOf(apiError(429), "a")).toBe("success");
    expect(breakerOutcomeOf(apiError(400, { error: { type: "invalid_request_error" } }), "a")).toBe("success");
    expect(breakerOutcomeOf(apiError(401), "a")).toBe("success");
    expect(breakerOutcomeOf(apiError(409), "a")).toBe("success");
    expect(breakerOutcomeOf(new ProviderError("non-retryable", "prompt is too long"), "a")).toBe("success");
    expect(breakerOutcomeOf(new DOMException("aborted", "AbortError"), "a")).toBeNull();
  });
});
