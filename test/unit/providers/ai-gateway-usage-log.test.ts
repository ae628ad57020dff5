import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { type FakeAiGatewayLog, startFakeAiGatewayLog } from "../../../local/fake-providers/ai-gateway-log.js";
import { startFakeAnthropic } from "../../../local/fake-providers/anthropic.js";
import type { FakeProviderServer } from "../../../local/fake-providers/harness.js";
import { AiGatewayUsageLog } from "../../../shared/providers/ai-gateway-usage-log.js";
import { AnthropicProvider } from "../../../shared/providers/anthropic.js";
import type { GenerateRequest } from "../../../shared/providers/provider.js";
import { callKey } from "../../../shared/providers/usage-log.js";

/**
 * The usage log end to end on this machine: calls tagged by the Anthropic provider reach the fake provider, the fake
 * AI Gateway log lists them, and the official `cloudflare` SDK (inside AiGatewayUsageLog) reads them back by key.
 */
const GATEWAY = { accountId: "acc-1", gatewayId: "gw-1", apiToken: "tok-1" };
let fake: FakeProviderServer;
let gateway: FakeAiGatewayLog;
let tagged: AnthropicProvider;
let untagged: AnthropicProvider;
let log: AiGatewayUsageLog;

/** A node attempt's call, tagged with its usage key as the engine does (model-call.ts). */
const req = (over: Partial<GenerateRequest> = {}): GenerateRequest => {
  const r: GenerateRequest = {
    runId: "run_1",
    nodeId: "review",
    agent: "a",
    system: "You review code.",
    prompt: "Review it.",
    model: "claude-haiku-4-5",
    maxOutputTokens: 64,
    attempt: 1,
    ...over,
  };
  return { usageKey: callKey(r), ...r };
};

beforeAll(async () => {
  fake = await startFakeAnthropic({ apiKey: "k" });
  gateway = await startFakeAiGatewayLog({ calls: () => fake.calls(), ...GATEWAY });
  tagged = new AnthropicProvider({ apiKey: "k", baseUrl: fake.baseUrl, tagCalls: true });
  untagged = new AnthropicProvider({ apiKey: "k", baseUrl: fake.baseUrl });
  log = new AiGatewayUsageLog({ ...GATEWAY, apiTokenSecret: "CF_TOKEN", apiBaseUrl: gateway.apiBaseUrl });
});
afterAll(async () => {
  await gateway?.close();
  await fake?.close();
});
beforeEach(() => fake.reset());

describe("AiGatewayUsageLog against the fake AI Gateway log", () => {
  it("finds a tagged call by its key, with the tokens the provider billed", async () => {
    const t0 = Date.now();
    const r = await tagged.generate(req());
    await tagged.generate(req({ nodeId: "other" }));
    await untagged.generate(req({ attempt: 2 }));
    // a call without a usage key (the routing classifier's) is not tagged even by a tagging provider
    await tagged.generate({ ...req({ attempt: 3 }), usageKey: undefined });
    const found = await log.requestsOf(callKey({ runId: "run_1", nodeId: "review", attempt: 1 }));
    expect(found).toHaveLength(1);
    expect(found[0]).toMatchObject({
      billed: true,
      inputTokens: r.usage.inputTokens + (r.usage.cacheReadTokens ?? 0) + (r.usage.cacheWriteTokens ?? 0),
      outputTokens: r.usage.outputTokens,
      model: "claude-haiku-4-5",
    });
    expect(found[0]?.costUsd).toBeGreaterThan(0);
    expect(found[0]?.createdAtMs).toBeGreaterThanOrEqual(t0 - 1000);
    expect(found[0]?.status).toBe(200);
    // untagged calls are not in the log under any key
    expect(await log.requestsOf(callKey({ runId: "run_1", nodeId: "review", attempt: 2 }))).toEqual([]);
    expect(await log.requestsOf(callKey({ runId: "run_1", nodeId: "review", attempt: 3 }))).toEqual([]);
    expect(fake.calls().map((c) => c.headers["cf-aig-metadata"] ?? null)).toEqual([
      '{"agentDagCall":"run_1/review/1"}',
      '{"agentDagCall":"run_1/other/1"}',
      null,
      null,
    ]);
  });

  it("lists an error answer as not billed", async () => {
    fake.setBehaviour({ faults: [{ status: 400 }] });
    await expect(tagged.generate(req({ nodeId: "bad" }))).rejects.toThrow();
    const found = await log.requestsOf(callKey({ runId: "run_1", nodeId: "bad", attempt: 1 }));
    expect(found.map((e) => [e.billed, e.status, e.inputTokens])).toEqual([[false, 400, 0]]);
  });

  it("tells whether the log holds entries after a time", async () => {
    const before = Date.now() - 5;
    await tagged.generate(req({ nodeId: "late" }));
    expect(await log.hasEntriesAfter(before)).toBe(true);
    expect(await log.hasEntriesAfter(Date.now() + 60_000)).toBe(false);
  });

  it("fails a look-up without its token, naming the secret, and with a wrong one", async () => {
    const none = new AiGatewayUsageLog({ ...GATEWAY, apiToken: undefined, apiTokenSecret: "CF_TOKEN" });
    await expect(none.requestsOf("k")).rejects.toThrow(/CF_TOKEN is not set/);
    const wrong = new AiGatewayUsageLog({
      ...GATEWAY,
      apiToken: "nope",
      apiTokenSecret: "CF_TOKEN",
      apiBaseUrl: gateway.apiBaseUrl,
    });
    await expect(wrong.requestsOf("k")).rejects.toThrow(/401|Authentication/);
  });

  it("the fake refuses a filter it does not implement rather than ignoring it", async () => {
    const url = `${gateway.apiBaseUrl}/accounts/acc-1/ai-gateway/gateways/gw-1/logs?filters.key=model&filters.operator=contains&filters.value=x`;
    const res = await fetch(url, { headers: { authorization: "Bearer tok-1" } });
    expect(res.status).toBe(400);
    expect(((await res.json()) as { errors: { message: string }[] }).errors[0]?.message).toMatch(/model contains/);
  });
});
