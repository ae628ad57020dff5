import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Env, parseConfig } from "../../../functions/env.js";
import type { LocalStack } from "../../../local/stack.js";
import { passCircuit } from "../../../shared/engine/circuit-gate.js";
import { CircuitBreaker } from "../../../shared/providers/circuit/circuit-breaker.js";
import { type LlmProvider, ProviderError } from "../../../shared/providers/provider.js";
import { parseModelFallbacksJson } from "../../../shared/routing/model-fallbacks.js";
import { MINIMAL_ENV } from "../../support/env-fixture.js";
import { startStoreBackend, stopStoreBackend, storeRedis } from "../../support/store-backends.js";

const SETTINGS = { threshold: 2, windowMs: 10_000, cooldownMs: 7_500, probeLeaseMs: 2_000, cacheMs: 1_000 };
const provider = {} as LlmProvider;

describe("circuit gate in front of a node's provider call (real Redis)", () => {
  const prefix = `test-gate-${Math.random().toString(36).slice(2, 10)}`;
  let stack: LocalStack | undefined;
  let breaker: CircuitBreaker;
  let clock = 5_000_000;
  const engine = (fallbacks = {}) => ({
    circuits: breaker,
    providers: new Map([
      ["anthropic", provider],
      ["openai", provider],
      ["simulated", provider],
    ]),
    routing: { tierMap: {}, defaultProvider: "anthropic", fallbacks },
  });
  const deep = { provider: "anthropic", model: "claude-opus-4-5", tier: "deep" as const };
  const open = async (p: string, m: string) => {
    for (let i = 0; i < SETTINGS.threshold; i++) await breaker.record(p, m, "failure");
  };

  beforeAll(async () => {
    stack = await startStoreBackend(false);
    breaker = new CircuitBreaker(storeRedis(stack), prefix, SETTINGS, () => clock);
  });
  afterAll(async () => {
    await stopStoreBackend(stack, prefix);
  });

  it("DoS: a closed circuit passes the routed model with no note", async () => {
    const pass = await passCircuit(engine(), { provider: "anthropic", model: "m-closed", tier: "deep" });
    expect(pass).toMatchObject({ provider: "anthropic", model: "m-closed", note: null });
  });

  it("DoS: an open circuit with no fallback makes no call: the attempt fails retryably after the cool-down left", async () => {
    await open("anthropic", "m-alone");
    clock += 2_000;
    const err = await passCircuit(engine(), { provider: "anthropic", model: "m-alone", tier: "balanced" }).catch(
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(ProviderError);
    expect(err).toMatchObject({ kind: "rate-limited", retryAfterSeconds: 6, details: { code: "circuit_open" } });
    expect((err as Error).message).toMatch(/anthropic:m-alone circuit open .*no fallback configured/);
  });

  it("DoS: an open circuit sends the call to the tier's first fallback whose own circuit is closed, and says so", async () => {
    const fallbacks = parseModelFallbacksJson(
      JSON.stringify({ deep: ["anthropic:claude-opus-4-5", "openai:gpt-down", "nowhere:x", "openai:gpt-6.1-sol"] }),
    );
    await open(deep.provider, deep.model);
    await open("openai", "gpt-down");
    const pass = await passCircuit(engine(fallbacks), deep);
    expect(pass).toMatchObject({
      provider: "openai",
      model: "gpt-6.1-sol",
      note: "fallback: gpt-6.1-sol (anthropic:claude-opus-4-5 circuit open)",
    });
    // another tier has no fallback
    await expect(passCircuit(engine(fallbacks), { ...deep, tier: "fast" })).rejects.toMatchObject({
      kind: "rate-limited",
    });
    // every fallback open too: the attempt waits
    await open("openai", "gpt-6.1-sol");
    await expect(passCircuit(engine(fallbacks), deep)).rejects.toThrow(/every fallback of its tier is open too/);
  });

  it("DoS: the routed call's breaker failures are reported; a probe's answer closes the circuit", async () => {
    const route = { provider: "anthropic", model: "m-probe", tier: "fast" as const };
    for (let i = 0; i < SETTINGS.threshold; i++) {
      const pass = await passCircuit(engine(), route);
      await pass.report(
        pass.provider,
        pass.model,
        new ProviderError("retryable", "HTTP 503", undefined, { status: 503 }),
      );
    }
    await expect(passCircuit(engine(), route)).rejects.toMatchObject({ kind: "rate-limited" });
    clock += SETTINGS.cooldownMs;
    const probe = await passCircuit(engine(), route);
    expect(probe.model).toBe("m-probe");
    await probe.report(probe.provider, probe.model);
    expect(await passCircuit(engine(), route)).toMatchObject({ model: "m-probe", note: null });
  });

  it("the simulated provider has no circuit", async () => {
    await open("simulated", "sim-deep");
    const pass = await passCircuit(engine(), { provider: "simulated", model: "sim-deep", tier: "deep" });
    expect(pass).toMatchObject({ provider: "simulated", model: "sim-deep", note: null });
  });
});

describe("MODEL_FALLBACKS", () => {
  it("parses tier -> <provider>:<model> lists (a model id may hold ':') and names the offending entry", () => {
    expect(parseModelFallbacksJson('{"deep":["openrouter:anthropic/claude-opus:beta"]}')).toEqual({
      deep: [{ provider: "openrouter", model: "anthropic/claude-opus:beta" }],
    });
    expect(() => parseModelFallbacksJson('{"deep":["no-model"]}')).toThrow(/deep\.0: a fallback is <provider>:<model>/);
    expect(() => parseModelFallbacksJson('{"huge":["a:b"]}')).toThrow(/huge|Unrecognized/);
    expect(() => parseModelFallbacksJson("{")).toThrow(/not valid JSON/);
  });
});

describe("circuit breaker config", () => {
  const base: Env = { ...MINIMAL_ENV, ENVIRONMENT: "development" };

  it("DoS: takes thresholds (s -> ms) and fallbacks, and names a fallback whose provider is not configured", () => {
    const c = parseConfig({
      ...base,
      PROVIDERS: '{"groq":{"type":"openai-compatible","baseUrl":"https://api.groq.example/v1"}}',
      MODEL_FALLBACKS: '{"fast":["groq:llama-3.1-8b"]}',
      CIRCUIT_FAILURES: "3",
      CIRCUIT_COOLDOWN_SECONDS: "10",
    });
    expect(c.circuit).toEqual({ threshold: 3, windowMs: 60_000, cooldownMs: 10_000 });
    expect(c.fallbacks).toEqual({ fast: [{ provider: "groq", model: "llama-3.1-8b" }] });
    expect(parseConfig(base).circuit).toEqual({ threshold: 5, windowMs: 60_000, cooldownMs: 30_000 });
    expect(() => parseConfig({ ...base, MODEL_FALLBACKS: '{"deep":["openai:gpt-x"]}' })).toThrow(
      /MODEL_FALLBACKS: deep fallback "openai:gpt-x" names a provider not in PROVIDERS/,
    );
    expect(() => parseConfig({ ...base, CIRCUIT_COOLDOWN_SECONDS: "0" })).toThrow(/CIRCUIT_COOLDOWN_SECONDS/);
  });
});
