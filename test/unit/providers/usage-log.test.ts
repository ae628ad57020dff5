import { describe, expect, it } from "vitest";
import { parseConfig } from "../../../functions/env.js";
import { services } from "../../../functions/services.js";
import {
  callKey,
  callKeyHeaders,
  gatewayMetadataOf,
  judgeEstimate,
  type LoggedRequest,
} from "../../../shared/providers/usage-log.js";
import { parseUsageLogConfig } from "../../../shared/providers/usage-log-config.js";
import { MINIMAL_ENV } from "../../support/env-fixture.js";

const entry = (over: Partial<LoggedRequest> = {}): LoggedRequest => ({
  createdAtMs: 10_000,
  billed: true,
  inputTokens: 100,
  outputTokens: 20,
  costUsd: 0.001,
  model: "claude-haiku-4-5",
  ...over,
});

describe("call keys", () => {
  it("name run, node and attempt, and travel as AI Gateway metadata", () => {
    const key = callKey({ runId: "run_01", nodeId: "map[3]", attempt: 2 });
    expect(key).toBe("run_01/map[3]/2");
    expect(callKeyHeaders(key)).toEqual({ "cf-aig-metadata": '{"agentDagCall":"run_01/map[3]/2"}' });
  });

  it("keep the provider's own metadata, the key first, and never let it replace the key", () => {
    expect(callKeyHeaders("k", '{"team":"ml","agentDagCall":"forged"}')).toEqual({
      "cf-aig-metadata": '{"agentDagCall":"k","team":"ml"}',
    });
    expect(callKeyHeaders("k", "not json")).toEqual({ "cf-aig-metadata": '{"agentDagCall":"k"}' });
    expect(gatewayMetadataOf({ "CF-AIG-Metadata": '{"a":1}', other: "x" })).toBe('{"a":1}');
    expect(gatewayMetadataOf(undefined)).toBeUndefined();
  });
});

describe("judgeEstimate", () => {
  it("adds up the billed entries of the key (an attempt asked twice for a structured answer)", () => {
    const v = judgeEstimate([entry(), entry({ billed: false, inputTokens: 0 }), entry({ inputTokens: 50 })], false);
    expect(v).toEqual({
      kind: "billed",
      inputTokens: 150,
      outputTokens: 40,
      costUsd: 0.002,
      model: "claude-haiku-4-5",
    });
  });

  it("leaves the price to the caller when an entry is unpriced", () => {
    const v = judgeEstimate([entry(), entry({ costUsd: undefined })], false);
    expect(v).toMatchObject({ kind: "billed", costUsd: undefined });
  });

  it("takes a call the provider answered with an error, or absent from a log written past it, as unbilled", () => {
    expect(
      judgeEstimate([entry({ billed: false, status: 400 }), entry({ billed: false, status: 529 })], false),
    ).toEqual({
      kind: "void",
    });
    expect(judgeEstimate([], true)).toEqual({ kind: "void" });
  });

  it("decides nothing from an unbilled entry that is not the provider's error answer (its client went away)", () => {
    for (const status of [499, 200, undefined])
      expect(judgeEstimate([entry({ billed: false, status })], true)).toEqual({
        kind: "pending",
        why: "unclear",
      });
  });

  it("keeps a call absent from a log not written past it estimated (logging off, or behind)", () => {
    expect(judgeEstimate([], false)).toEqual({ kind: "pending", why: "log-behind" });
  });
});

describe("USAGE_LOG", () => {
  it("applies the defaults", () => {
    expect(
      parseUsageLogConfig('{"type":"ai-gateway","accountId":"acc","gatewayId":"gw","providers":["anthropic"]}'),
    ).toEqual({
      type: "ai-gateway",
      accountId: "acc",
      gatewayId: "gw",
      apiTokenSecret: "CLOUDFLARE_API_TOKEN",
      settleSeconds: 900,
      horizonSeconds: 3600,
      providers: ["anthropic"],
    });
    expect(parseUsageLogConfig(undefined)).toBeNull();
    expect(parseUsageLogConfig("  ")).toBeNull();
  });

  it("names the field at fault", () => {
    expect(() => parseUsageLogConfig('{"type":"ai-gateway","accountId":"acc"}')).toThrow(/gatewayId/);
    expect(() => parseUsageLogConfig('{"type":"ai-gateway","accountId":"a","gatewayId":"g","settle":1}')).toThrow(
      /settle/,
    );
    expect(() => parseUsageLogConfig('{"type":"langfuse"}')).toThrow(/type/);
    expect(() =>
      parseUsageLogConfig('{"type":"ai-gateway","accountId":"a","gatewayId":"g","settleSeconds":0}'),
    ).toThrow(/settleSeconds/);
    expect(() => parseUsageLogConfig("{")).toThrow(/not JSON/);
    expect(() => parseUsageLogConfig('{"type":"ai-gateway","accountId":"a","gatewayId":"g","providers":[]}')).toThrow(
      /providers/,
    );
    expect(() =>
      parseUsageLogConfig(
        '{"type":"ai-gateway","accountId":"a","gatewayId":"g","providers":["x"],"settleSeconds":4000,"horizonSeconds":3600}',
      ),
    ).toThrow(/settleSeconds must be less than horizonSeconds/);
  });
});

describe("USAGE_LOG in the worker's config", () => {
  const gateway =
    '{"type":"ai-gateway","accountId":"acc","gatewayId":"gw","settleSeconds":60,"providers":["anthropic"]}';
  const anthropic = '{"anthropic":{"type":"anthropic"},"local":{"type":"workers-ai"}}';

  it("is validated at startup, naming the variable and the field", () => {
    expect(() => parseConfig({ ...MINIMAL_ENV, USAGE_LOG: '{"type":"ai-gateway","accountId":"acc"}' })).toThrow(
      /USAGE_LOG: gatewayId/,
    );
    expect(parseConfig(MINIMAL_ENV).usageLog).toBeNull();
    // the providers it names must be HTTP providers in PROVIDERS
    expect(() => parseConfig({ ...MINIMAL_ENV, USAGE_LOG: gateway })).toThrow(/USAGE_LOG: providers: "anthropic"/);
    expect(() =>
      parseConfig({ ...MINIMAL_ENV, PROVIDERS: anthropic, USAGE_LOG: gateway.replace('["anthropic"]', '["local"]') }),
    ).toThrow(/"local" is not an anthropic or openai-compatible provider/);
  });

  it("gives the engine the log and its times, and no usage log when unset", () => {
    expect(services(MINIMAL_ENV).engine.usageLog).toBeUndefined();
    const settings = services({ ...MINIMAL_ENV, PROVIDERS: anthropic, USAGE_LOG: gateway }).engine.usageLog;
    expect(settings?.log.name).toBe("ai-gateway");
    expect([...(settings?.providers ?? [])]).toEqual(["anthropic"]);
    expect([settings?.settleMs, settings?.horizonMs]).toEqual([60_000, 3_600_000]);
  });
});
