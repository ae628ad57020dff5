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

/**
 * The UTF-8 length of `text`, bytes, counted without encoding it (a node's prompt can hold megabytes of upstream
 * output): 1 byte below U+0080, 2 below U+0800, 4 for a surrogate pair, else 3 (a lone surrogate is encoded as
 * U+FFFD, 3 bytes, as `TextEncoder` does).
 */
export function utf8Bytes(text: string): number {
  let bytes = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 0x80) bytes += 1;
    else if (c < 0x800) bytes += 2;
    else if (c >= 0xd800 && c <= 0xdbff && i + 1 < text.length) {
      const next = text.charCodeAt(i + 1);
      if (next >= 0xdc00 && next <= 0xdfff) {
        bytes += 4;
        i++;
      } else bytes += 3;
    } else bytes += 3;
  }
  return bytes;
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
