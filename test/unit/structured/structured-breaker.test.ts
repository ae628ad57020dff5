import { describe, expect, it } from "vitest";
import { compileDag } from "../../../shared/dag/compile.js";
import type { Engine } from "../../../shared/engine/engine.js";
import { callRouted, type ModelCallInput, type RoutedCall } from "../../../shared/engine/model-call.js";
import type { CircuitOutcome } from "../../../shared/providers/circuit/circuit-breaker.js";
import {
  type GenerateRequest,
  type GenerateResult,
  type LlmProvider,
  ProviderError,
} from "../../../shared/providers/provider.js";
import { PaidCallsError, StructuredOutputError } from "../../../shared/providers/structured-output.js";
import type { OutputJsonSchema } from "../../../shared/schema/output-schema.js";

const SCHEMA: OutputJsonSchema = { type: "object", required: ["n"], properties: { n: { type: "integer" } } };

/** A provider answering from a script: a value is a structured answer, an Error is thrown. */
function scripted(answers: unknown[]): LlmProvider {
  let calls = 0;
  return {
    name: "anthropic",
    async generate(req: GenerateRequest): Promise<GenerateResult> {
      const value = answers[calls++];
      if (value instanceof Error) throw value;
      return {
        text: JSON.stringify(value),
        model: req.model,
        usage: { inputTokens: 10, outputTokens: 5 },
        stopReason: "end",
        simulated: false,
        structured: { value },
      };
    },
  };
}

/** The outcomes the circuit breaker was told, for a structured node whose provider answers `answers`. */
async function breakerOutcomes(answers: unknown[]): Promise<{ outcomes: CircuitOutcome[]; err: unknown }> {
  const outcomes: CircuitOutcome[] = [];
  const engine = {
    providers: new Map([["anthropic", scripted(answers)]]),
    routing: { tierMap: {}, defaultProvider: "anthropic" },
    circuits: {
      check: async () => ({ state: "closed", failures: 0 }),
      record: async (_p: string, _m: string, outcome: CircuitOutcome) => {
        outcomes.push(outcome);
        return true;
      },
      releaseProbe: async () => undefined,
    },
    store: {
      recordIntent: async () => undefined,
      clearIntent: async () => undefined,
      recordPaid: async () => undefined,
      bookUnrecorded: async () => [],
    },
  } as unknown as Engine;
  const node = { id: "plan", agent: "x", prompt: "p", dependsOn: [], kind: "llm" as const, output: { schema: SCHEMA } };
  const input = {
    runId: "run_breaker",
    tenant: "t",
    node,
    agent: {},
    attempt: 1,
    dag: compileDag([node]),
    prompt: "count",
    sharedContext: undefined,
    maxOutputTokens: 100,
    budget: null,
    simulate: {},
    signal: new AbortController().signal,
  } as unknown as ModelCallInput;
  const routed = {
    decision: { provider: "anthropic", model: "claude-x", tier: "fast", reason: "r", source: "explicit" },
    inputTokens: 10,
    scopes: [],
    price: () => 0,
  } as unknown as RoutedCall;
  const err = await callRouted(engine, input, routed).then(
    () => null,
    (e: unknown) => e,
  );
  return { outcomes, err };
}

describe("circuit breaker outcome of a structured call", () => {
  it("a retry after a mismatch that fails with a 503 counts as a breaker failure, not a success", async () => {
    const { outcomes, err } = await breakerOutcomes([
      { n: "x" },
      new ProviderError("retryable", "HTTP 503", undefined, { status: 503 }),
    ]);
    expect(err).toBeInstanceOf(PaidCallsError);
    expect(outcomes).toEqual(["failure"]);
  });

  it("a second mismatch is an answer: the provider is up", async () => {
    const { outcomes, err } = await breakerOutcomes([{ n: "x" }, { n: "y" }]);
    expect(err).toBeInstanceOf(StructuredOutputError);
    expect(outcomes).toEqual(["success"]);
  });

  it("a matching answer after a retry is a success", async () => {
    const { outcomes, err } = await breakerOutcomes([{ n: "x" }, { n: 2 }]);
    expect(err).toBeNull();
    expect(outcomes).toEqual(["success"]);
  });
});
