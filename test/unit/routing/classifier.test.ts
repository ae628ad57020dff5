import { describe, expect, it } from "vitest";
import type { GenerateRequest, GenerateResult, LlmProvider } from "../../../shared/providers/provider.js";
import { SimulatedProvider } from "../../../shared/providers/simulated.js";
import {
  CLASSIFIER_PROMPT_CHARS,
  CLASSIFIER_SYSTEM_PROMPT,
  classifierCacheKey,
  classifyWithLlm,
  llmClassifier,
  parseClassifierAnswer,
  type TierCache,
} from "../../../shared/routing/classifier.js";
import type { Tier } from "../../../shared/routing/tier.js";

/** A provider that answers `text` and records its requests. */
class ScriptedProvider implements LlmProvider {
  readonly name = "scripted";
  readonly requests: GenerateRequest[] = [];
  constructor(private readonly text: string) {}
  async generate(req: GenerateRequest): Promise<GenerateResult> {
    this.requests.push(req);
    return {
      text: this.text,
      model: req.model,
      usage: { inputTokens: 120, outputTokens: 2 },
      stopReason: "end",
      simulated: false,
    };
  }
}

/** A Map-backed cache that can be told to fail. */
class MapCache implements TierCache {
  readonly map = new Map<string, Tier>();
  failing = false;
  async get(key: string) {
    if (this.failing) throw new Error("cache down");
    return this.map.get(key) ?? null;
  }
  async set(key: string, tier: Tier) {
    if (this.failing) throw new Error("cache down");
    this.map.set(key, tier);
  }
}

describe("parseClassifierAnswer", () => {
  it.each([
    ["deep", "deep"],
    ["Deep.", "deep"],
    ["  FAST\n", "fast"],
    ["balanced, I think", "balanced"],
    ["I'd say deep, not fast", "deep"],
    ["steadfast", null],
    ["medium", null],
    ["", null],
  ] as const)("%j -> %s", (text, tier) => {
    expect(parseClassifierAnswer(text)).toBe(tier);
  });
});

describe("classifierCacheKey", () => {
  const task = { prompt: "Summarize {{input.doc}}", system: "You are a summarizer." };

  it("is stable for equal content and prefixed", async () => {
    const a = await classifierCacheKey("ad", "haiku", task);
    expect(a).toMatch(/^ad:route:[0-9a-f]{64}$/);
    expect(await classifierCacheKey("ad", "haiku", { ...task })).toBe(a);
  });

  it("changes with the prompt, the system prompt and the model, not with text past the classifier's window", async () => {
    const base = await classifierCacheKey("ad", "haiku", task);
    expect(await classifierCacheKey("ad", "haiku", { ...task, prompt: "Summarise {{input.doc}}" })).not.toBe(base);
    expect(await classifierCacheKey("ad", "haiku", { ...task, system: "You are a lawyer." })).not.toBe(base);
    expect(await classifierCacheKey("ad", "other", task)).not.toBe(base);
    const long = "z".repeat(CLASSIFIER_PROMPT_CHARS);
    expect(await classifierCacheKey("ad", "haiku", { prompt: `${long}tail one` })).toBe(
      await classifierCacheKey("ad", "haiku", { prompt: `${long}tail two` }),
    );
  });
});

describe("classifyWithLlm", () => {
  it("asks for one word at temperature 0 and parses it", async () => {
    const provider = new ScriptedProvider("deep");
    const verdict = await classifyWithLlm(provider, "haiku", {
      prompt: "Prove it.",
      system: "You are a mathematician.",
      nodeId: "n1",
    });
    expect(verdict).toEqual({
      tier: "deep",
      model: "haiku",
      usage: { inputTokens: 120, outputTokens: 2 },
      cached: false,
    });
    const req = provider.requests[0]!;
    expect(req).toMatchObject({
      model: "haiku",
      system: CLASSIFIER_SYSTEM_PROMPT,
      temperature: 0,
      maxOutputTokens: 8,
      nodeId: "n1",
    });
    expect(req.prompt).toContain("Prove it.");
    expect(req.prompt).toContain("You are a mathematician.");
  });

  it("gets no tier from the simulated provider, whose text is not an answer", async () => {
    const verdict = await classifyWithLlm(new SimulatedProvider(0), "sim-fast", { prompt: "Prove it." });
    expect(verdict.tier).toBeNull();
  });
});

describe("llmClassifier", () => {
  it("caches named tiers and answers the next equal request from the cache", async () => {
    const provider = new ScriptedProvider("fast");
    const cache = new MapCache();
    const classifier = llmClassifier({ provider, model: "haiku", cache, prefix: "ad" });
    expect(await classifier.classify({ prompt: "Tag this." })).toMatchObject({ tier: "fast", cached: false });
    expect(await classifier.classify({ prompt: "Tag this." })).toEqual({
      tier: "fast",
      model: null,
      usage: null,
      cached: true,
    });
    expect(provider.requests).toHaveLength(1);
    expect([...cache.map.keys()]).toEqual([await classifierCacheKey("ad", "haiku", { prompt: "Tag this." })]);
  });

  it("does not cache an answer without a tier", async () => {
    const cache = new MapCache();
    const classifier = llmClassifier({
      provider: new ScriptedProvider("no idea"),
      model: "haiku",
      cache,
      prefix: "ad",
    });
    expect((await classifier.classify({ prompt: "?" })).tier).toBeNull();
    expect(cache.map.size).toBe(0);
  });

  it("still classifies when the cache fails", async () => {
    const cache = new MapCache();
    cache.failing = true;
    const provider = new ScriptedProvider("balanced");
    const classifier = llmClassifier({ provider, model: "haiku", cache, prefix: "ad" });
    expect((await classifier.classify({ prompt: "Write it." })).tier).toBe("balanced");
  });
});
