import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { analyzeTask, type TaskInput } from "../../../shared/routing/analyze-task.js";
import type { Tier } from "../../../shared/routing/tier.js";

/** A node with no routing signal at all: neutral name, prompt, position and output size. */
function task(overrides: Partial<TaskInput> = {}): TaskInput {
  return {
    nodeId: "step",
    agent: "worker",
    prompt: "Do the thing with {{input.x}}.",
    upstreamCount: 1,
    dependentsCount: 1,
    isSink: false,
    maxOutputTokens: 1024,
    ...overrides,
  };
}

type Row = [name: string, overrides: Partial<TaskInput>, tier: Tier | null, confident: boolean, reason: string];

/** The routing rules, one row each (analyze-task.ts documents them in this order). */
const RULES: Row[] = [
  // 1. explicit model or tier wins: node over agent, no budget cap
  ["node tier", { nodeModel: "deep" }, "deep", true, 'explicit: node model "deep"'],
  ["agent concrete model", { agentModel: "sim-fast" }, null, true, 'explicit: agent model "sim-fast"'],
  [
    "agent provider tier",
    { agentModel: "anthropic:balanced" },
    "balanced",
    true,
    'explicit: agent model "anthropic:balanced"',
  ],
  ["node over agent", { nodeModel: "fast", agentModel: "deep" }, "fast", true, 'explicit: node model "fast"'],
  [
    "explicit beats hints and signals",
    { agentModel: "fast", complexity: "high", prompt: "Prove the algorithm terminates." },
    "fast",
    true,
    'explicit: agent model "fast"',
  ],
  [
    "explicit ignores a tight budget",
    { nodeModel: "deep", budgetRemainingUsd: 0.001 },
    "deep",
    true,
    'explicit: node model "deep"',
  ],
  [
    "node auto beats agent model",
    { nodeModel: "auto", agentModel: "deep", prompt: "Summarize the text." },
    "fast",
    true,
    "asks to summarize",
  ],
  // 2. complexity hint
  ["hint high", { complexity: "high" }, "deep", true, "hint: complexity high"],
  [
    "hint medium",
    { complexity: "medium", prompt: "Summarize and list the items." },
    "balanced",
    true,
    "hint: complexity medium",
  ],
  [
    "hint low beats hard words",
    { complexity: "low", prompt: "Prove the security of the design." },
    "fast",
    true,
    "hint: complexity low",
  ],
  // 3. signals
  ["no signal", {}, "balanced", false, "no routing signal (default)"],
  ["synthesis over 5 inputs", { upstreamCount: 5 }, "balanced", true, "synthesis over 5 inputs"],
  ["synthesis starts at 3 inputs", { upstreamCount: 3 }, "balanced", true, "synthesis over 3 inputs"],
  ["two inputs are no synthesis", { upstreamCount: 2 }, "balanced", false, "no routing signal (default)"],
  ["wide synthesis", { upstreamCount: 12 }, "deep", true, "synthesis over 12 inputs"],
  [
    "synthesis + hard words",
    { upstreamCount: 5, prompt: "Merge the security findings." },
    "deep",
    true,
    "synthesis over 5 inputs, asks for security",
  ],
  ["one hard word", { prompt: "Design the module boundaries." }, "balanced", true, "asks for design"],
  ["two hard words", { prompt: "Prove that the algorithm is correct." }, "deep", true, "asks for prove/algorithm"],
  [
    "hard word + role",
    { agent: "security-reviewer", prompt: "Review the security of {{input.repo}}." },
    "deep",
    true,
    "asks for security, security role",
  ],
  ["one light word", { prompt: "Summarize the article." }, "fast", true, "asks to summarize"],
  ["two light words", { prompt: "Extract the names and list them." }, "fast", true, "asks to extract/list"],
  [
    "mixed words are unsure",
    { prompt: "Summarize the security design." },
    "balanced",
    false,
    "mixed signals: asks for security/design vs asks to summarize",
  ],
  [
    "words inside other words do not count",
    { prompt: "The designated listener counts securities." },
    "balanced",
    false,
    "no routing signal (default)",
  ],
  [
    "keywords past 4,000 characters do not count",
    { prompt: `${"x ".repeat(2000)} security` },
    "balanced",
    false,
    "no routing signal (default)",
  ],
  ["deep role from agent name", { agent: "senior-reviewer" }, "balanced", true, "senior role"],
  ["light role from agent name", { agent: "summarizer" }, "fast", true, "summarizer role"],
  ["role from node id", { nodeId: "final.judge" }, "balanced", true, "judge role"],
  [
    "role from system prompt",
    { system: "You are a software architect. Assess the structure." },
    "balanced",
    true,
    "architect role",
  ],
  [
    "role words are matched at word starts",
    { agent: "misleading-teamplanner", nodeId: "x" },
    "balanced",
    false,
    "no routing signal (default)",
  ],
  [
    "final output of a fan-in",
    { isSink: true, upstreamCount: 2, dependentsCount: 0 },
    "balanced",
    true,
    "final output",
  ],
  ["widely read output", { dependentsCount: 4 }, "balanced", true, "feeds 4 nodes"],
  ["long prompt", { inputTokens: 20_000 }, "balanced", true, "long prompt (~20k tokens)"],
  [
    "long prompt estimated from characters",
    { prompt: "y".repeat(64_000) },
    "balanced",
    true,
    "long prompt (~16k tokens)",
  ],
  ["long output", { maxOutputTokens: 8192 }, "balanced", true, "long output (up to 8192 tokens)"],
  ["short output", { maxOutputTokens: 200 }, "fast", true, "short output (up to 200 tokens)"],
  [
    "position against words is unsure",
    { upstreamCount: 4, prompt: "List the titles.", maxOutputTokens: 100 },
    "fast",
    false,
    "mixed signals: synthesis over 4 inputs vs asks to list, short output (up to 100 tokens)",
  ],
  [
    "light words with a short output",
    { prompt: "List the titles.", maxOutputTokens: 100 },
    "fast",
    true,
    "asks to list, short output (up to 100 tokens)",
  ],
  [
    "many weak signals add up",
    { agent: "lead", dependentsCount: 5, maxOutputTokens: 4096 },
    "deep",
    true,
    "lead role, feeds 5 nodes, long output (up to 4096 tokens)",
  ],
  // 4. budget cap (hints and signals only)
  [
    "tight budget caps deep at balanced",
    { prompt: "Prove the algorithm.", budgetRemainingUsd: 0.2 },
    "balanced",
    true,
    "asks for prove/algorithm; budget: $0.20 left",
  ],
  [
    "very tight budget caps at fast",
    { complexity: "high", budgetRemainingUsd: 0.01 },
    "fast",
    true,
    "hint: complexity high; budget: $0.01 left",
  ],
  [
    "budget below the tier changes nothing",
    { prompt: "Summarize.", budgetRemainingUsd: 0.01 },
    "fast",
    true,
    "asks to summarize",
  ],
  [
    "a cap makes an unsure analysis sure",
    { budgetRemainingUsd: 0.3 },
    "balanced",
    false,
    "no routing signal (default)",
  ],
  [
    "a cap below an unsure tier makes it sure",
    { budgetRemainingUsd: 0.03 },
    "fast",
    true,
    "no routing signal (default); budget: $0.03 left",
  ],
  [
    "priced tiers cap by what the call may cost",
    { complexity: "high", budgetRemainingUsd: 0.5, tierCosts: { fast: 0.02, balanced: 0.3, deep: 1.2 } },
    "balanced",
    true,
    "hint: complexity high; budget: $0.50 left, deep needs up to $1.20",
  ],
  [
    "priced tiers that fit change nothing",
    { complexity: "high", budgetRemainingUsd: 5, tierCosts: { fast: 0.02, balanced: 0.3, deep: 1.2 } },
    "deep",
    true,
    "hint: complexity high",
  ],
];

describe("analyzeTask rules", () => {
  it.each(RULES)("%s", (_name, overrides, tier, confident, reason) => {
    const a = analyzeTask(task(overrides));
    expect({ tier: a.tier, confident: a.confident, reason: a.reason }).toEqual({ tier, confident, reason });
  });

  it("records the signals it read", () => {
    const a = analyzeTask(
      task({
        upstreamCount: 5,
        isSink: true,
        prompt: "Synthesize the reviews; summarize each.",
        agent: "senior-reviewer",
        budgetRemainingUsd: 0.3,
      }),
    );
    expect(a.source).toBe("rules");
    expect(a.signals).toMatchObject({
      upstreamCount: 5,
      isSink: true,
      deepKeywords: ["synthesize"],
      lightKeywords: ["summarize"],
      role: { role: "deep", word: "senior" },
      budgetRemainingUsd: 0.3,
      score: 2 - 2 + 2 + 1 + 1,
      budgetCap: "balanced",
    });
    expect(a.signals.points.map((p) => [p.signal, p.points])).toEqual([
      ["synthesis", 2],
      ["deepKeyword", 2],
      ["lightKeyword", -2],
      ["deepRole", 1],
      ["finalOutput", 1],
    ]);
  });

  it("marks explicit choices as such", () => {
    const a = analyzeTask(task({ agentModel: "anthropic:deep" }));
    expect(a.source).toBe("explicit");
    expect(a.choice).toEqual({
      kind: "tier",
      tier: "deep",
      provider: "anthropic",
      from: "agent",
      spec: "anthropic:deep",
    });
  });
});

describe("analyzeTask on review-all (every node as auto)", () => {
  const wf = JSON.parse(readFileSync(new URL("../../../workflows/review-all.json", import.meta.url), "utf8")) as {
    agents: Record<string, { system: string; maxOutputTokens: number }>;
    nodes: { id: string; agent: string; prompt: string; dependsOn: string[] }[];
  };
  const dependents = (id: string) => wf.nodes.filter((n) => n.dependsOn.includes(id)).length;

  it.each([
    // node, tier, confident, reason (the analyzer reads ~64k tokens of code; reviewers a ~4k-token brief)
    ["codebase-analyzer", "deep", true, "principal role, feeds 5 nodes, long prompt (~64k tokens)"],
    ["quality-reviewer", "balanced", true, "senior role"],
    ["best-practices-reviewer", "balanced", true, "staff role"],
    ["architecture-reviewer", "deep", true, "asks for architecture, architecture role"],
    ["performance-reviewer", "balanced", false, "no routing signal (default)"],
    ["security-reviewer", "deep", true, "asks for security, security role"],
    ["senior-reviewer", "deep", true, "asks for security/architecture, synthesis over 5 inputs, senior role"],
  ] as const)("%s -> %s", (id, tier, confident, reason) => {
    const node = wf.nodes.find((n) => n.id === id)!;
    const agent = wf.agents[node.agent]!;
    const a = analyzeTask({
      nodeId: node.id,
      agent: node.agent,
      prompt: node.prompt,
      system: agent.system,
      inputTokens: id === "codebase-analyzer" ? 64_000 : 4_000 * Math.max(1, node.dependsOn.length),
      upstreamCount: node.dependsOn.length,
      dependentsCount: dependents(id),
      isSink: dependents(id) === 0,
      maxOutputTokens: agent.maxOutputTokens,
    });
    expect({ tier: a.tier, confident: a.confident, reason: a.reason }).toEqual({ tier, confident, reason });
  });
});

describe("keywords come from the instructions, not from template expressions", () => {
  it("ignores the names inside {{…}}", () => {
    const a = analyzeTask({
      nodeId: "audit",
      agent: "a",
      prompt: "Audit the security architecture and design trade-offs of {{nodes.extract.output}} and {{input.list}}",
      upstreamCount: 1,
      dependentsCount: 0,
      isSink: true,
      maxOutputTokens: 1024,
    });
    expect(a.signals.lightKeywords).toEqual([]);
    expect(a.tier).toBe("deep");
  });
});
