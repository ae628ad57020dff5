/**
 * A structured-output call (a node with `output.schema`): ask the provider for JSON matching the schema, validate the
 * answer, and on a mismatch ask once more, within the same attempt, with the validation error appended to the prompt;
 * a second mismatch fails the node non-retryably (the same request would very likely fail the same way), naming the
 * JSON Pointer of the offending value.
 *
 * Validation uses @cfworker/json-schema, which interprets the schema (no `new Function`/`eval`, which Cloudflare
 * Workers forbid; github.com/cfworker/cfworker, packages/json-schema).
 */
import { Validator } from "@cfworker/json-schema";
import type { OutputJsonSchema } from "../schema/output-schema.js";
import type { GenerateRequest, GenerateResult, LlmProvider, ProviderErrorDetails, TokenUsage } from "./provider.js";
import { ProviderError } from "./provider.js";

/** A mismatch between an answer and the schema: JSON Pointer (RFC 6901) of the offending value and why. */
export interface OutputMismatch {
  /** e.g. `/files/0/path`; `""` is the whole answer. */
  pointer: string;
  message: string;
}

/**
 * A failure of a structured call after at least one answer came back: it carries the usage of the answered calls
 * (paid for) and the model that answered, so the caller books them before failing the attempt.
 */
export class PaidCallsError extends ProviderError {
  /**
   * @param kind how QStash should treat the failure (as ProviderError).
   * @param message recorded on the node.
   * @param usage summed usage of the answered calls.
   * @param model model that answered.
   * @param retryAfterSeconds for `rate-limited`: seconds to wait.
   * @param details facts about the failure, as ProviderError.
   */
  constructor(
    kind: ProviderError["kind"],
    message: string,
    readonly usage: TokenUsage,
    readonly model: string,
    retryAfterSeconds?: number,
    details?: ProviderErrorDetails,
  ) {
    super(kind, message, retryAfterSeconds, details);
  }
}

/** The final mismatch of a structured call (the retry's answer did not match either): `non-retryable`. */
export class StructuredOutputError extends PaidCallsError {
  /**
   * @param mismatch where and why the second answer did not match.
   * @param usage summed usage of both calls.
   * @param model model that answered.
   */
  constructor(
    readonly mismatch: OutputMismatch,
    usage: TokenUsage,
    model: string,
  ) {
    super(
      "non-retryable",
      `output does not match the node's output schema at ${describe(mismatch.pointer)}: ${mismatch.message}`,
      usage,
      model,
    );
  }
}

/** Longest validation message appended to the retry prompt, in characters (keeps the retry's input bounded). */
export const MAX_MISMATCH_NOTE_CHARS = 1000;

/**
 * Upper bound of the retry note's input tokens: 1 token per UTF-8 byte (as shared/budget/input-bound.ts), at most 3
 * bytes per UTF-16 code unit of the detail, plus the note's fixed text.
 */
export const MISMATCH_NOTE_TOKEN_BOUND = 3 * MAX_MISMATCH_NOTE_CHARS + 200;

/** Calls a structured call may make within one attempt: the first, and one retry after a mismatch. */
export const STRUCTURED_CALLS_PER_ATTEMPT = 2;

/**
 * Compiles a schema once into a checker of answers.
 * @returns a function giving the first (most specific) mismatch of a value, or null when it matches.
 */
export function outputChecker(schema: OutputJsonSchema): (value: unknown) => OutputMismatch | null {
  const validator = new Validator(schema as Record<string, unknown>, "7", true);
  return (value) => {
    const result = validator.validate(value);
    if (result.valid) return null;
    const last = result.errors[result.errors.length - 1];
    return { pointer: jsonPointer(last?.instanceLocation ?? "#"), message: last?.error ?? "invalid" };
  };
}

/** The note appended to the prompt of the retry after a mismatch (at most {@link MAX_MISMATCH_NOTE_CHARS} of detail). */
export function mismatchNote(mismatch: OutputMismatch): string {
  const detail = `at ${describe(mismatch.pointer)}: ${mismatch.message}`.slice(0, MAX_MISMATCH_NOTE_CHARS);
  return `\n\nYour previous answer did not match the required JSON Schema (${detail}). Answer again with JSON that matches the schema.`;
}

/**
 * Runs one structured call of `req` (which must have `outputSchema`) on `llm`: validates the answer, retries once with
 * {@link mismatchNote} appended to the prompt, and returns the matching answer with the usage of every call made
 * summed.
 * @throws StructuredOutputError (`non-retryable`) when the retry's answer does not match either.
 * @throws PaidCallsError (the retry's failure kind, `retryable` when unclassified) when the retry itself fails after a
 *   paid first answer, unless the call was aborted (then the retry's error as is: an aborted call is booked at its
 *   worst case anyway).
 * @throws whatever the first `llm.generate` throws.
 */
export async function generateStructured(llm: LlmProvider, req: GenerateRequest): Promise<GenerateResult> {
  const check = outputChecker(req.outputSchema ?? {});
  const first = await llm.generate(req);
  const firstMismatch = mismatchOf(first, check);
  if (firstMismatch === null) return first;
  let second: GenerateResult;
  try {
    second = await llm.generate({ ...req, prompt: req.prompt + mismatchNote(firstMismatch) });
  } catch (err) {
    if (req.signal?.aborted) throw err;
    const kind = err instanceof ProviderError ? err.kind : "retryable";
    const after = err instanceof ProviderError ? err.retryAfterSeconds : undefined;
    const details = err instanceof ProviderError ? err.details : undefined;
    throw new PaidCallsError(kind, (err as Error).message ?? String(err), first.usage, first.model, after, details);
  }
  const usage = sumUsage(first.usage, second.usage);
  const secondMismatch = mismatchOf(second, check);
  if (secondMismatch !== null) throw new StructuredOutputError(secondMismatch, usage, second.model);
  return { ...second, usage };
}

function mismatchOf(result: GenerateResult, check: (value: unknown) => OutputMismatch | null): OutputMismatch | null {
  const s = result.structured;
  if (!s) return { pointer: "", message: "the provider returned no structured output" };
  if ("parseError" in s) return { pointer: "", message: `the answer is not JSON (${s.parseError})` };
  return check(s.value);
}

function sumUsage(a: TokenUsage, b: TokenUsage): TokenUsage {
  const out: TokenUsage = { inputTokens: a.inputTokens + b.inputTokens, outputTokens: a.outputTokens + b.outputTokens };
  const read = (a.cacheReadTokens ?? 0) + (b.cacheReadTokens ?? 0);
  const write = (a.cacheWriteTokens ?? 0) + (b.cacheWriteTokens ?? 0);
  if (read > 0) out.cacheReadTokens = read;
  if (write > 0) out.cacheWriteTokens = write;
  return out;
}

/**
 * The RFC 6901 JSON Pointer of a @cfworker/json-schema instance location, which is a URI fragment (`#/a%20b/0`):
 * without the `#` and percent-decoded (a malformed escape is kept as is).
 */
function jsonPointer(location: string): string {
  const fragment = location.replace(/^#/, "");
  try {
    return decodeURIComponent(fragment);
  } catch {
    return fragment;
  }
}

function describe(pointer: string): string {
  return pointer === "" ? "the root" : pointer;
}
