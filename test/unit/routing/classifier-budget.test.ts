import { describe, expect, it } from "vitest";
import { utf8Bytes } from "../../../shared/budget/input-bound.js";
import type { GenerateRequest, GenerateResult, LlmProvider, TokenUsage } from "../../../shared/providers/provider.js";
import type { TaskInput } from "../../../shared/routing/analyze-task.js";
import {
  CLASSIFIER_MAX_OUTPUT_TOKENS,
  CLASSIFIER_SYSTEM_PROMPT,
  type ClassifierBudget,
  classifierInput,
  llmClassifier,
} from "../../../shared/routing/classifier.js";
import { routeModel } from "../../../shared/routing/route-model.js";

/** A provider that answers `deep` and logs each call into `log`. */
class DeepProvider implements LlmProvider {
  readonly name = "scripted";
  constructor(private readonly log: string[]) {}
  async generate(req: GenerateRequest): Promise<GenerateResult> {
    this.log.push(`call ${req.model}`);
    return {
      text: "deep",
      model: req.model,
      usage: { inputTokens: 140, outputTokens: 1 },
      stopReason: "end",
      simulated: false,
    };
  }
}

/** A budget side that records its steps into `log`, refusing when `refuse` is set. */
function recordingBudget(log: string[], refuse: boolean): ClassifierBudget & { held: number[]; settled: TokenUsage[] } {
  const held: number[] = [];
  const settled: TokenUsage[] = [];
  return {
    held,
    settled,
    async reserve(model, inputTokens, maxOutputTokens) {
      log.push(`reserve ${model}`);
      held.push(inputTokens, maxOutputTokens);
      return refuse ? { ok: false, reason: "run budget refused it" } : { ok: true };
    },
    async settle(model, usage) {
      log.push(`settle ${model}`);
      settled.push(usage);
    },
    async release() {
      log.push("release");
    },
  };
}

const TASK: TaskInput = {
  nodeId: "step",
  agent: "worker",
  prompt: "Do the thing.",
  system: "You are helpful.",
  upstreamCount: 1,
  dependentsCount: 1,
  isSink: false,
  maxOutputTokens: 1024,
};
const TIER_MAP = { anthropic: { fast: "claude-haiku-x", balanced: "claude-sonnet-x", deep: "claude-opus-x" } };

describe("overspend: the classifier call is budgeted", () => {
  it("overspend: reserves the classifier call's worst case before calling and charges its usage after", async () => {
    const log: string[] = [];
    const budget = recordingBudget(log, false);
    const classifier = llmClassifier({ provider: new DeepProvider(log), model: "claude-haiku-x", prefix: "t" });
    const d = await routeModel(TASK, {
      tierMap: TIER_MAP,
      provider: "anthropic",
      classifier,
      classifierBudget: budget,
    });
    expect(d).toMatchObject({ source: "classifier", tier: "deep" });
    expect(log).toEqual(["reserve claude-haiku-x", "call claude-haiku-x", "settle claude-haiku-x"]);
    const [inputBound, maxOut] = budget.held;
    expect(inputBound).toBeGreaterThanOrEqual(utf8Bytes(CLASSIFIER_SYSTEM_PROMPT) + utf8Bytes(classifierInput(TASK)));
    expect(maxOut).toBe(CLASSIFIER_MAX_OUTPUT_TOKENS);
    expect(budget.settled).toEqual([{ inputTokens: 140, outputTokens: 1 }]);
  });

  it("overspend: a refused reservation skips the classifier and keeps the rules' tier, saying why", async () => {
    const log: string[] = [];
    const classifier = llmClassifier({ provider: new DeepProvider(log), model: "claude-haiku-x", prefix: "t" });
    const d = await routeModel(TASK, {
      tierMap: TIER_MAP,
      provider: "anthropic",
      classifier,
      classifierBudget: recordingBudget(log, true),
    });
    expect(log).toEqual(["reserve claude-haiku-x"]);
    expect(d.source).toBe("rules");
    expect(d.reason).toContain("classifier not asked, its call does not fit the budget (run budget refused it)");
  });
});
