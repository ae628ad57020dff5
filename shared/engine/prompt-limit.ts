/**
 * Where the rendered-prompt cap (shared/dag/prompt-size.ts) is enforced: at trigger time against the run input
 * ({@link assertPromptsFit}, a 422 that stores nothing), and when a node runs against its upstream outputs too
 * ({@link assertPromptFits}, a non-retryable failure of the node). Both measure without rendering.
 */
import { compensationPromptSize } from "../dag/compensation.js";
import { estimatedTokens, type PromptLimit, promptCharCap, renderedSize } from "../dag/prompt-size.js";
import type { TemplateContext } from "../dag/template.js";
import { ProblemError, problem } from "../errors/problem.js";
import { ProviderError } from "../providers/provider.js";
import type { WorkflowDefinition } from "../schema/workflow.js";

/** A prompt over the cap at trigger time: the node, the pointer to its prompt in the trigger body, its size. */
export interface OversizedPrompt {
  nodeId: string;
  /** JSON Pointer under `/workflow`, e.g. `/workflow/nodes/3/prompt` or `/workflow/nodes/3/compensate/prompt`. */
  pointer: string;
  /** Characters rendered from the literal text and the run input alone (upstream outputs count 0); when over the
   * cap, at least this many (the measure stops early). */
  chars: number;
}

/**
 * The prompts of `workflow` (nodes and compensation steps) that exceed `limit` with the run `input` alone, upstream
 * outputs and `{{run.*}}` counting 0: what the trigger can refuse before anything is stored. A prompt that passes
 * here may still exceed the cap once upstream outputs are known; the node then fails ({@link assertPromptFits}).
 */
export function oversizedPrompts(
  workflow: Pick<WorkflowDefinition, "nodes">,
  input: unknown,
  limit: PromptLimit,
): OversizedPrompt[] {
  const cap = promptCharCap(limit);
  const ctx: TemplateContext = { input, outputs: {} };
  const found: OversizedPrompt[] = [];
  workflow.nodes.forEach((node, i) => {
    const chars = renderedSize(node.prompt, ctx, cap);
    if (chars > cap) found.push({ nodeId: node.id, pointer: `/workflow/nodes/${i}/prompt`, chars });
    if (node.compensate) {
      const comp = compensationPromptSize(node.compensate.prompt, ctx, { status: "", error: "" }, cap);
      if (comp > cap) found.push({ nodeId: node.id, pointer: `/workflow/nodes/${i}/compensate/prompt`, chars: comp });
    }
  });
  return found;
}

/**
 * What is wrong with a prompt over the cap, naming the node, its size and the limits, e.g. `rendered prompt of node
 * "b" is at least 2000013 characters (~500004 tokens); the limit is 2000000 characters and 1000000 estimated
 * tokens`.
 * @param chars the size measured: at least this many (the measure stops once over the cap).
 */
export function promptTooLargeDetail(nodeId: string, chars: number, limit: PromptLimit): string {
  return (
    `rendered prompt of node "${nodeId}" is at least ${chars} characters (~${estimatedTokens(chars)} tokens); ` +
    `the limit is ${limit.maxChars} characters and ${limit.maxTokens} estimated tokens`
  );
}

/**
 * Refuses a trigger whose run input alone makes a prompt exceed the cap ({@link oversizedPrompts}).
 * @throws ProblemError 422 `prompt-too-large`, one `errors` entry per prompt (pointer, node, sizes).
 */
export function assertPromptsFit(
  workflow: Pick<WorkflowDefinition, "nodes">,
  input: unknown,
  limit: PromptLimit,
): void {
  const over = oversizedPrompts(workflow, input, limit);
  if (over.length === 0) return;
  const errors = over.map((o) => ({
    pointer: o.pointer,
    node: o.nodeId,
    detail: promptTooLargeDetail(o.nodeId, o.chars, limit),
  }));
  throw new ProblemError(
    problem("prompt-too-large", `The run input makes ${errors.length} prompt(s) too large: ${errors[0]?.detail}`, {
      errors,
    }),
  );
}

/**
 * Checks a node's prompt before it is rendered: the rendered size (with `ctx`, the upstream outputs known) plus
 * the shared context sent beside it must stay under the cap.
 * @param render the template and how it renders (`compensation` gives the run fields of a compensation prompt).
 * @param sharedChars characters of the shared context sent with the prompt (0 when none).
 * @throws ProviderError `non-retryable` naming the node and the sizes: the same inputs render the same size, so
 *   no retry can succeed.
 */
export function assertPromptFits(
  nodeId: string,
  render: { template: string; ctx: TemplateContext; compensation?: { status: string; error: string } | undefined },
  sharedChars: number,
  limit: PromptLimit,
): void {
  const cap = promptCharCap(limit);
  const budget = cap - sharedChars;
  const size = render.compensation
    ? compensationPromptSize(render.template, render.ctx, render.compensation, budget)
    : renderedSize(render.template, render.ctx, budget);
  if (size > budget) throw new ProviderError("non-retryable", promptTooLargeDetail(nodeId, size + sharedChars, limit));
}
