/**
 * The simulated provider's planner: a deterministic plan from the words of the task and the candidates'
 * descriptions and capabilities, so the demo and the tests plan without a key. Its `reason` says it is simulated.
 *
 * Rules, in order:
 * 1. Workflow match: the candidate workflow whose name and description share the most task words, when they share
 *    at least {@link MIN_WORKFLOW_OVERLAP} and at least half of the task's words, one of them a word of its name
 *    (so generic description words alone never pick a workflow; ties: by name).
 * 2. Otherwise a fan-out: an analyzer node (the agent that best fits `analyze`), one node per agent whose
 *    capabilities, name or description share a task word (most shared words first, at most
 *    {@link MAX_SPECIALISTS}), all after the analyzer, and a synthesizer node (the agent that best fits
 *    `synthesize`) after them all. Only the candidates given are used.
 */
import { SIMULATED_STRING } from "../providers/simulated-object.js";
import type { CandidateAgent, PlanCandidates } from "./candidates.js";
import type { PlanAnswer, PlanAnswerNode } from "./plan-answer.js";

/** Fewest task words a workflow's name and description must share with the task to be proposed (ours). */
export const MIN_WORKFLOW_OVERLAP = 2;

/** Most specialist nodes of a simulated fan-out (ours). */
export const MAX_SPECIALISTS = 6;

/** Words too common to say anything about a task (a short English stop list, ours). */
const STOP_WORDS = new Set(
  "a an and are as at be by for from how in into is it its of on or our the this that these those to with what which who why will your you my me we all any can do does please".split(
    " ",
  ),
);

/**
 * The content words of a text, stem -> the first word of that stem: lower-case runs of letters and digits, at least
 * 3 long, stop words removed, each reduced to a crude stem (a final `s`, `ing`, `ed`, `er`, `ize`/`ise`, `ysis` dropped) so `reviews`/`review`,
 * `analyze`/`analysis`/`analyzer` and `summarize`/`summary` meet.
 */
export function contentWords(text: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const word of text.toLowerCase().match(/[a-z0-9]+/g) ?? []) {
    if (word.length < 3 || STOP_WORDS.has(word)) continue;
    const s = stem(word);
    if (!out.has(s)) out.set(s, word);
  }
  return out;
}

function stem(word: string): string {
  for (const suffix of ["ysis", "yzer", "yze", "izer", "ize", "ise", "ing", "ies", "ed", "er", "es", "s", "y"]) {
    if (word.endsWith(suffix) && word.length - suffix.length >= 4) return word.slice(0, -suffix.length);
  }
  return word;
}

function overlap(task: ReadonlyMap<string, string>, text: string): string[] {
  return [
    ...new Set([...contentWords(text).keys()].filter((w) => task.has(w)).map((w) => task.get(w) as string)),
  ].sort();
}

function agentText(a: CandidateAgent): string {
  return `${a.name.replace(/[-_.]/g, " ")} ${a.capabilities.join(" ").replace(/[-_.]/g, " ")} ${a.description}`;
}

/** The agent whose words best fit `role` (e.g. `analyze`); ties by name; null when the list is empty. */
function bestFor(role: string, agents: readonly CandidateAgent[]): CandidateAgent | null {
  const words = contentWords(role);
  let best: CandidateAgent | null = null;
  let bestScore = -1;
  for (const a of agents) {
    const score = overlap(words, agentText(a)).length;
    if (score > bestScore) {
      best = a;
      bestScore = score;
    }
  }
  return best;
}

/** A task quoted inside a prompt template: `{{` broken up so the task never reads as a template expression. */
function quoted(task: string): string {
  return task.replaceAll("{{", "{ {").replaceAll("}}", "} }");
}

/** A node id for an agent name (agent names may hold characters ids allow too; `.` is kept). */
function nodeId(agent: string, taken: Set<string>): string {
  const base = agent.replace(/[^A-Za-z0-9_.-]/g, "-");
  let id = base;
  for (let i = 2; taken.has(id); i++) id = `${base}-${i}`;
  taken.add(id);
  return id;
}

/**
 * Plans `task` deterministically over `candidates` (see the module header): the same task and candidates always give
 * the same answer, and every node names one of `candidates.agents`.
 * @throws Error when `candidates.agents` is empty and no workflow matches (there is nothing to plan with).
 */
export function simulatedPlan(task: string, candidates: PlanCandidates): PlanAnswer {
  const words = contentWords(task);
  const mark = `${SIMULATED_STRING} simulated planner:`;
  let match: { name: string; shared: string[] } | null = null;
  for (const w of candidates.workflows) {
    const shared = overlap(words, `${w.name.replace(/-/g, " ")} ${w.description}`);
    if (overlap(words, w.name.replace(/-/g, " ")).length === 0) continue;
    if (shared.length > (match?.shared.length ?? 0)) match = { name: w.name, shared };
  }
  if (match && match.shared.length >= MIN_WORKFLOW_OVERLAP && match.shared.length * 2 >= words.size) {
    return {
      workflow: match.name,
      reason: `${mark} workflow ${match.name} shares the task words ${match.shared.join(", ")}`,
      nodes: [],
    };
  }
  if (candidates.agents.length === 0) throw new Error("no agents to plan with");
  const analyzer = bestFor("analyze analysis", candidates.agents) as CandidateAgent;
  const synthesizer = bestFor("synthesize combine report", candidates.agents) as CandidateAgent;
  const specialists = candidates.agents
    .map((a) => ({ agent: a, shared: overlap(words, agentText(a)) }))
    .filter((s) => s.shared.length > 0 && s.agent.name !== analyzer.name && s.agent.name !== synthesizer.name)
    .sort((a, b) => b.shared.length - a.shared.length || (a.agent.name < b.agent.name ? -1 : 1))
    .slice(0, MAX_SPECIALISTS);
  const taken = new Set(["analyze", "synthesize"]);
  const task1 = quoted(task);
  const nodes: PlanAnswerNode[] = [
    {
      id: "analyze",
      agent: analyzer.name,
      prompt: `Analyse this task and write a brief for the specialists who will work on it.\n\nTask: ${task1}`,
      dependsOn: [],
    },
  ];
  for (const s of specialists) {
    nodes.push({
      id: nodeId(s.agent.name, taken),
      agent: s.agent.name,
      prompt: `Task: ${task1}\n\nDo your part (${s.shared.join(", ")}) from this brief:\n{{nodes.analyze.output}}`,
      dependsOn: ["analyze"],
    });
  }
  const upstream = nodes.length > 1 ? nodes.slice(1).map((n) => n.id) : ["analyze"];
  nodes.push({
    id: "synthesize",
    agent: synthesizer.name,
    prompt: [
      `Combine these results into one answer to the task.\n\nTask: ${task1}`,
      ...upstream.map((id) => `<result node="${id}">\n{{nodes.${id}.output}}\n</result>`),
    ].join("\n\n"),
    dependsOn: upstream,
  });
  const chosen = specialists.map((s) => `${s.agent.name} (${s.shared.join(", ")})`).join("; ");
  return {
    reason: `${mark} no workflow fits; analyzer ${analyzer.name}, ${
      specialists.length > 0 ? `specialists ${chosen}` : "no specialist matched the task words"
    }, synthesizer ${synthesizer.name}`,
    nodes,
  };
}
