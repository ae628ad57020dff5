import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { type Env, parseConfig } from "../../../functions/env";
import { readCodebase } from "../../../local/codebase";
import {
  countsDelta,
  describeBudget,
  describeInput,
  FAKE_ANTHROPIC_KEY,
  FAKE_ANTHROPIC_TIERS,
  fakeAnthropicVars,
  fakeReplyFiller,
  synthesisText,
} from "../../../local/demo";
import { curlHelp, wranglerDevArgs } from "../../../local/dev";
import { workerBindings } from "../../../local/worker-bindings";
import { DEFAULT_PRICES, priceFor } from "../../../shared/pricing/prices";
import { estimateTokens } from "../../../shared/providers/simulated";
import { node, runningView } from "./fixtures";

describe("demo helpers", () => {
  it("counts what each key grew by between two reads, leaving out keys that did not grow", () => {
    expect(
      countsDelta(
        { "claude-haiku-4-5": 5, "claude-opus-4-5": 1 },
        { "claude-haiku-4-5": 10, "claude-opus-4-5": 1, "claude-sonnet-4-5": 1 },
      ),
    ).toEqual({
      "claude-haiku-4-5": 5,
      "claude-sonnet-4-5": 1,
    });
    expect(countsDelta({ a: 2 }, { a: 2 })).toEqual({});
  });

  it("points every Upstash variable of the worker at the stack, as plain_text bindings", () => {
    const bindings = workerBindings(
      {
        redisRestUrl: "http://127.0.0.1:4001",
        redisToken: "tok",
        qstashUrl: "http://127.0.0.1:4002",
        qstashToken: "qtok",
        signingKeys: { current: "sig_a", next: "sig_b" },
      },
      { SIMULATED_LATENCY_MS: "250" },
    );
    expect(bindings).toEqual({
      UPSTASH_REDIS_REST_URL: { type: "plain_text", value: "http://127.0.0.1:4001" },
      UPSTASH_REDIS_REST_TOKEN: { type: "plain_text", value: "tok" },
      QSTASH_URL: { type: "plain_text", value: "http://127.0.0.1:4002" },
      QSTASH_TOKEN: { type: "plain_text", value: "qtok" },
      QSTASH_CURRENT_SIGNING_KEY: { type: "plain_text", value: "sig_a" },
      QSTASH_NEXT_SIGNING_KEY: { type: "plain_text", value: "sig_b" },
      SIMULATED_LATENCY_MS: { type: "plain_text", value: "250" },
    });
  });

  it("describes the codebase input in one line", async () => {
    const root = await mkdtemp(join(tmpdir(), "agent-dag-demo-"));
    try {
      await writeFile(join(root, "a.ts"), "x\n");
      await writeFile(join(root, "yarn.lock"), "lock\n");
      const input = await readCodebase(root, { name: "demo" });
      expect(describeInput(input)).toBe("demo: 1 of 2 files, 29 B of the 256 KiB budget; omitted: 1 lock file");
    } finally {
      await rm(root, { recursive: true, force: true });
    }
  });

  it("shows the senior reviewer's output, else the sinks, else why there is none", () => {
    const view = runningView({ status: "completed" });
    expect(synthesisText({ runId: "r", status: "completed", outputs: { "senior-reviewer": "All good." } }, view)).toBe(
      "All good.",
    );
    expect(synthesisText({ runId: "r", status: "completed", outputs: { other: "x" } }, view)).toBe("## other\nx");
    const failed = runningView({
      status: "failed",
      levels: [{ level: 1, title: "", nodes: [node("codebase-analyzer", { status: "failed", error: "boom" })] }],
    });
    expect(synthesisText({ runId: "r", status: "failed", outputs: {} }, failed)).toBe(
      "(no output: the run ended failed: codebase-analyzer failed (boom))",
    );
  });
});

describe("fake-anthropic demo", () => {
  const stackVars: Env = {
    UPSTASH_REDIS_REST_URL: "http://127.0.0.1:4001",
    UPSTASH_REDIS_REST_TOKEN: "tok",
    QSTASH_TOKEN: "qtok",
    QSTASH_CURRENT_SIGNING_KEY: "sig_a",
    QSTASH_NEXT_SIGNING_KEY: "sig_b",
    API_KEYS: "dev:dev-key",
  };

  it("gives the worker a config that makes anthropic, pointed at the fake, the default provider with three tiers", () => {
    const config = parseConfig({ ...stackVars, ...fakeAnthropicVars("http://127.0.0.1:4100/v1") });
    expect(config.defaultProvider).toBe("anthropic");
    expect(config.providers.anthropic).toEqual({
      type: "anthropic",
      baseUrl: "http://127.0.0.1:4100/v1",
      apiKeySecret: "ANTHROPIC_API_KEY",
    });
    expect(config.tierMap.anthropic).toEqual(FAKE_ANTHROPIC_TIERS);
    expect(fakeAnthropicVars("http://x/v1").ANTHROPIC_API_KEY).toBe(FAKE_ANTHROPIC_KEY);
  });

  it("routes only to models with a non-zero price, cheapest tier cheapest", () => {
    const price = (model: string) => priceFor(model, DEFAULT_PRICES);
    for (const model of Object.values(FAKE_ANTHROPIC_TIERS)) {
      expect(price(model)?.input, model).toBeGreaterThan(0);
      expect(price(model)?.output, model).toBeGreaterThan(0);
    }
    const { fast, balanced, deep } = FAKE_ANTHROPIC_TIERS;
    expect(price(fast)!.output).toBeLessThan(price(balanced)!.output);
    expect(price(balanced)!.output).toBeLessThan(price(deep)!.output);
  });

  it("makes fixed fake replies of exactly the asked number of tokens, saying what they are", () => {
    for (const tokens of [1, 30, 1200]) expect(estimateTokens(fakeReplyFiller(tokens))).toBe(tokens);
    expect(fakeReplyFiller(1200)).toMatch(
      /^\[FAKE ANTHROPIC\] Fixed reply of 1200 tokens from the local fake; no model was called\. filler/,
    );
  });

  it("describes the run budget in one line", () => {
    expect(describeBudget({ usd: 0.05, tokens: 20_000, onBudget: "downgrade" })).toBe(
      "$0.0500 · 20000 tokens · on budget: downgrade",
    );
    expect(describeBudget({ tokens: 0, onBudget: "fail" })).toBe("0 tokens · on budget: fail");
  });
});

describe("dev helpers", () => {
  it("runs wrangler dev on 127.0.0.1:8787 with the dev env", () => {
    expect(wranglerDevArgs()).toEqual(
      expect.arrayContaining(["dev", "--env", "dev", "--ip", "127.0.0.1", "--port", "8787"]),
    );
  });

  it("prints a curl whose body is valid JSON for review-all and safe inside single quotes", () => {
    const help = curlHelp("http://127.0.0.1:8787");
    const body = /-d '([^']*)'/.exec(help)?.[1];
    expect(body).toBeDefined();
    const parsed = JSON.parse(body ?? "") as { workflow: string; input: Record<string, string> };
    expect(parsed.workflow).toBe("review-all");
    expect(Object.keys(parsed.input).sort()).toEqual(["files", "omitted", "repo", "tree"]);
    expect(help).toContain("curl -X POST http://127.0.0.1:8787/v1/runs -H 'authorization: Bearer dev-key'");
  });
});
