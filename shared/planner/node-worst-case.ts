/**
 * The worst case of one node's model call, computed before the run from its definition alone: the same bound a
 * node's budget hold uses at run time (shared/engine/model-call.ts: input-bound.ts's 1 token per UTF-8 byte plus
 * template overhead, plus the whole `maxOutputTokens`, priced at the dearest input rate by worst-case.ts), with each
 * upstream output a prompt reads counted at that upstream node's own `maxOutputTokens`.
 *
 * Why an upstream output fits its limit: the run's provider stopped it at `maxOutputTokens` tokens, and the same
 * tokenizer reads the same text back as about as many tokens (the local fakes and the simulated provider count 4
 * characters per token both ways). A prompt read through another provider's tokenizer may differ; the run's own
 * budget reservation, sized on the rendered prompt, still holds then.
 */
import { inputTokenBound, MESSAGE_OVERHEAD_TOKENS, utf8Bytes } from "../budget/input-bound.js";
import { type PricedUsage, worstCase } from "../budget/worst-case.js";
import { lookup, parseTemplate, stringify } from "../dag/template.js";
import { sharedContextPointer } from "../engine/shared-context.js";
import { MISMATCH_NOTE_TOKEN_BOUND, STRUCTURED_CALLS_PER_ATTEMPT } from "../providers/structured-output.js";
import { MAX_MAP_ITEMS } from "../schema/node-kinds.js";
import type { AgentProfile, WorkflowNode } from "../schema/workflow.js";

/** One node's worst case, one attempt: model calls, tokens (input bound and output limit) and USD. */
export interface NodeWorstCase {
  /** Model calls of one attempt: 0 (http, wait), 1, or 2 for a structured output (the retry after a mismatch). */
  calls: number;
  inputTokens: number;
  outputTokens: number;
  /** `inputTokens + outputTokens`. */
  tokens: number;
  /** USD at the dearest model the node may be routed to; null when a model has no price or the size is unbounded. */
  usd: number | null;
  /** False when no bound exists before the run (a map node's children, or a prompt reading an http or wait node's
   * output, whose size only the run knows): the numbers then count the known part only. */
  bounded: boolean;
}

/**
 * Upper bound of a prompt template's input tokens once rendered: literal text and `{{input…}}` values (from `input`)
 * at 1 token per UTF-8 byte; each `{{nodes.<id>.output…}}` at `outputBound(id)` tokens plus the shared-context
 * pointer that may replace it (shared-context.ts).
 * @param outputBound an upstream node's output bound in tokens, or null when it has none.
 * @returns tokens, and whether every reference had a bound.
 */
export function promptTokenBound(
  template: string,
  input: unknown,
  outputBound: (id: string) => number | null,
): { tokens: number; bounded: boolean } {
  let tokens = 0;
  let bounded = true;
  for (const part of parseTemplate(template)) {
    if (part.kind === "text") tokens += utf8Bytes(part.text);
    else if (part.kind === "invalid") tokens += utf8Bytes(part.raw);
    else if (part.kind === "input") tokens += utf8Bytes(stringify(lookup(input, part.path)));
    else {
      const bound = outputBound(part.id);
      if (bound === null) bounded = false;
      tokens += (bound ?? 0) + utf8Bytes(sharedContextPointer(part.id));
    }
  }
  return { tokens, bounded };
}

/**
 * A node's worst case for one attempt (see the module header). An `llm` node: system prompt, prompt bound, one
 * shared-context message and the output schema's JSON, doubled with the mismatch note for a structured output (as
 * the run reserves it); a map node counts `maxItems` children at the same bound and is never `bounded` (its
 * children's prompts render each item; `maxItems`, else MAX_MAP_ITEMS); http and wait nodes call no model.
 * @param maxOutputTokens the node's output limit (node, else agent, else the engine default), tokens.
 * @param models the models the node may be called on (every tier for automatic routing); priced each.
 * @param price USD of a usage on a model; throws for a model without a price.
 */
export function nodeWorstCase(args: {
  node: WorkflowNode;
  agent: AgentProfile | undefined;
  input: unknown;
  maxOutputTokens: number;
  outputBound: (id: string) => number | null;
  models: readonly string[];
  price: (model: string, usage: PricedUsage) => number;
}): NodeWorstCase {
  const { node } = args;
  if (node.kind === "http" || node.kind === "wait") {
    return { calls: 0, inputTokens: 0, outputTokens: 0, tokens: 0, usd: 0, bounded: true };
  }
  // a workflow node's child run is not previewed here: its calls are its child's (shared/engine/sub-workflow-node.ts)
  if (node.kind === "workflow")
    return { calls: 0, inputTokens: 0, outputTokens: 0, tokens: 0, usd: null, bounded: false };
  const prompt = promptTokenBound(node.prompt, args.input, args.outputBound);
  const schema = node.output?.schema;
  let inputTokens =
    inputTokenBound([args.agent?.system, schema ? JSON.stringify(schema) : undefined]) +
    prompt.tokens +
    2 * MESSAGE_OVERHEAD_TOKENS;
  let outputTokens = args.maxOutputTokens;
  let calls = 1;
  if (schema) {
    calls = STRUCTURED_CALLS_PER_ATTEMPT;
    inputTokens = inputTokens * calls + MISMATCH_NOTE_TOKEN_BOUND;
    outputTokens *= calls;
  }
  let bounded = prompt.bounded;
  if (node.kind === "map") {
    const items = node.maxItems ?? MAX_MAP_ITEMS;
    calls *= items;
    inputTokens *= items;
    outputTokens *= items;
    bounded = false;
  }
  let usd: number | null = 0;
  for (const model of args.models) {
    try {
      usd = Math.max(usd, worstCase(inputTokens, outputTokens, (u) => args.price(model, u)).usd);
    } catch {
      usd = null;
      break;
    }
  }
  return { calls, inputTokens, outputTokens, tokens: inputTokens + outputTokens, usd, bounded };
}
