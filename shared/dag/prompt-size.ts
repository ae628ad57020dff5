/**
 * The size of a rendered prompt, measured without rendering it, and the cap it must stay under.
 *
 * A template is at most 200,000 characters (shared/schema/workflow.ts), but what it renders is not: `{{input.a}}`
 * repeated 18,000 times over a 20,000-character input renders 360 M characters, far past a Worker isolate's 128 MB.
 * So the rendered size is computed first, as the sum of the literal text's length and the lengths of the values
 * substituted (each distinct value measured once), stopping as soon as the sum passes the cap, and nothing is
 * allocated for a prompt over it.
 */
import { lookup, lookupField, parseTemplate, type TemplateContext } from "./template.js";

/**
 * Characters per estimated token: one token per 4 characters, the rule of thumb OpenAI gives for English text
 * (help.openai.com, "What are tokens and how to count them?"), the same rule as shared/providers/simulated.ts
 * `estimateTokens`.
 */
export const CHARS_PER_TOKEN = 4;

/**
 * Caps on one node's rendered prompt (with its shared context): `maxChars` in characters (UTF-16 code units, as
 * `String.length`) and `maxTokens` in estimated tokens (`ceil(chars / 4)`).
 */
export interface PromptLimit {
  maxChars: number;
  maxTokens: number;
}

/**
 * Default caps (config `MAX_RENDERED_PROMPT_CHARS`, `MAX_RENDERED_PROMPT_TOKENS`): 2,000,000 characters is at most 4 MB as a
 * JavaScript string, and the call's request body and its UTF-8 bytes copy it a few times more, all well inside a
 * Worker's 128 MB (developers.cloudflare.com/workers/platform/limits, "Memory"); 1,000,000 tokens is the largest
 * context window of the mainstream models (Anthropic's and Google's 1 M-token windows), so no prompt over it can be
 * answered anyway.
 */
export const DEFAULT_PROMPT_LIMIT: PromptLimit = { maxChars: 2_000_000, maxTokens: 1_000_000 };

/** The most characters a prompt may have under `limit`: the lower of `maxChars` and `maxTokens` × 4. */
export function promptCharCap(limit: PromptLimit): number {
  return Math.min(limit.maxChars, limit.maxTokens * CHARS_PER_TOKEN);
}

/** Estimated tokens of a text of `chars` characters (`ceil(chars / 4)`). */
export function estimatedTokens(chars: number): number {
  return Math.ceil(chars / CHARS_PER_TOKEN);
}

/** Length of what template.ts `stringify` renders for `value` (objects and arrays as compact JSON). */
function renderedLength(value: unknown): number {
  if (value === undefined) return 0;
  if (typeof value === "string") return value.length;
  if (typeof value === "number" || typeof value === "boolean" || typeof value === "bigint") return String(value).length;
  return JSON.stringify(value)?.length ?? 0;
}

/**
 * Characters `renderTemplate(template, ctx)` would return, computed without building the string: literal text and
 * invalid expressions count their own length (rendering throws on the latter anyway), `{{input.*}}` the length of
 * the value rendered (a non-string value's JSON is measured once per distinct path, and is at most the size of the
 * run input), `{{nodes.<id>.output}}` the output's length, or 0 when `ctx.outputs` has none (a lower bound: at
 * trigger time no output exists yet), `{{nodes.<id>.output<path>}}` the length of the field rendered (template.ts
 * `lookupField`, measured once per distinct expression; 0 when `ctx.outputs` has no output for the id).
 * @param cap stop once the sum passes this many characters; the result is then some number above `cap`, not the
 *   full size. Default: no cap.
 * @returns characters (UTF-16 code units).
 */
export function renderedSize(template: string, ctx: TemplateContext, cap = Number.POSITIVE_INFINITY): number {
  const measured = new Map<string, number>();
  let parsed: Map<string, unknown> | undefined;
  let size = 0;
  for (const part of parseTemplate(template)) {
    if (part.kind === "text") size += part.text.length;
    else if (part.kind === "invalid") size += part.raw.length;
    else if (part.kind === "node" && part.path) {
      if (Object.hasOwn(ctx.outputs, part.id)) {
        const key = `nodes\u0000${part.id}\u0000${part.path.join(".")}`;
        let n = measured.get(key);
        if (n === undefined) {
          n = renderedLength(lookupField(ctx, part.id, part.path, (parsed ??= new Map())));
          measured.set(key, n);
        }
        size += n;
      }
    } else if (part.kind === "node")
      size += Object.hasOwn(ctx.outputs, part.id) ? (ctx.outputs[part.id]?.length ?? 0) : 0;
    else {
      const key = part.path.join(".");
      let n = measured.get(key);
      if (n === undefined) {
        n = renderedLength(lookup(ctx.input, part.path));
        measured.set(key, n);
      }
      size += n;
    }
    if (size > cap) return size;
  }
  return size;
}
