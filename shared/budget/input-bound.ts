/**
 * An upper bound on the input tokens of a call, for its budget hold: one token per UTF-8 byte of every text sent,
 * plus a per-message allowance for the chat template.
 *
 * Why it is a bound: the byte-level BPE tokenizers of OpenAI (tiktoken cl100k/o200k), Anthropic and Llama 3 start
 * from one token per byte and only ever merge, so no text yields more tokens than it has UTF-8 bytes; SentencePiece
 * models with byte fallback (Llama 2, Mistral) fall back to one token per byte too, plus at most one `▁` prefix per
 * text, which the per-message allowance covers. A characters/4 estimate is not a bound: CJK text is about 1 token per
 * character (3 bytes) and dense code or base64 about 1 token per 2-3 characters, so such input could use several
 * times its hold. The allowance covers the template around each message (OpenAI documents 3 tokens per message
 * plus 3 priming the reply; Llama 3 uses 4-5 header tokens per message): {@link MESSAGE_OVERHEAD_TOKENS} per
 * message and {@link REPLY_OVERHEAD_TOKENS} once.
 */

/** Template tokens allowed per message (role header and end marker), tokens. Above every template named above. */
export const MESSAGE_OVERHEAD_TOKENS = 16;

/** Template tokens allowed once per call (begin-of-text and the reply's header), tokens. */
export const REPLY_OVERHEAD_TOKENS = 16;

const encoder = new TextEncoder();

/**
 * The UTF-8 length of `text`, bytes.
 */
export function utf8Bytes(text: string): number {
  return encoder.encode(text).length;
}

/**
 * An upper bound on the input tokens of a call sending `messages` (system prompt, shared context, prompt: the empty
 * ones are not sent and count nothing): UTF-8 bytes + {@link MESSAGE_OVERHEAD_TOKENS} per message +
 * {@link REPLY_OVERHEAD_TOKENS}. Counts plain input, cache reads and cache writes together (they partition it).
 * @returns tokens, an integer >= {@link REPLY_OVERHEAD_TOKENS}.
 */
export function inputTokenBound(messages: readonly (string | undefined)[]): number {
  let tokens = REPLY_OVERHEAD_TOKENS;
  for (const m of messages) {
    if (!m) continue;
    tokens += utf8Bytes(m) + MESSAGE_OVERHEAD_TOKENS;
  }
  return tokens;
}
