import { z } from "zod";
import { base64ToBytes } from "../crypto/base64.js";

/**
 * Body QStash posts to a callback or failure-callback URL (docs/upstash-protocols.md B8): the destination's `status`,
 * its response `body` (standard base64, maybe truncated), `retried`/`maxRetries`, the `sourceMessageId`, and the
 * original message body `sourceBody` (base64). Unknown fields are allowed (QStash adds fields over time).
 */
export const qstashCallbackSchema = z.looseObject({
  status: z.number().int(),
  body: z.string().optional().default(""),
  retried: z.number().int().min(0).optional().default(0),
  maxRetries: z.number().int().min(0).optional().default(0),
  sourceMessageId: z.string().min(1),
  sourceBody: z.string(),
  dlqId: z.string().optional(),
});

/** A parsed QStash callback body. */
export type QStashCallback = z.output<typeof qstashCallbackSchema>;

/**
 * Most nodes one execute message carries: its node and up to 3 `siblings` (children of the same map,
 * shared/engine/sibling-groups.ts). 4, because Cloudflare Workers let one invocation hold 6 connections open at once
 * (developers.cloudflare.com/workers/platform/limits, "Simultaneous open connections") and each child's provider call
 * holds one for its whole length: 4 leave two for the group's Redis and QStash requests.
 */
export const MAX_NODES_PER_MESSAGE = 4;

// a node id (128 characters at most), or a map node's child `<map>[<index>]` (shared/dag/map-refs.ts)
const executeNodeId = z.string().min(1).max(140);

/**
 * Body of an `/internal/execute` message (references only; `waited` and `handedBack`, informational, mark a deferred
 * re-delivery and a node a chain handed back; `advanceBy: "callback"` says a success callback will publish what the
 * node's completion took, so execute records the completion but does not publish: advance-site.ts; `chain: true`
 * says the message's timeout leaves room for its delivery to run a chain of nodes: shared/engine/delivery.ts;
 * `generation` is the run's dispatch generation at publish time (a retry or rerun starts a new one); `fresh: true`
 * makes a rerun's `from` node call its provider without reading the result cache; `siblings`: more children of the
 * same map, run beside `nodeId` by the same delivery: shared/engine/sibling-groups.ts).
 */
export const executeMessageSchema = z.strictObject({
  runId: z.string().regex(/^run_[0-9a-f]{26}$/),
  nodeId: executeNodeId,
  siblings: z
    .array(executeNodeId)
    .min(1)
    .max(MAX_NODES_PER_MESSAGE - 1)
    .optional(),
  waited: z.boolean().optional(),
  handedBack: z.boolean().optional(),
  advanceBy: z.literal("callback").optional(),
  chain: z.literal(true).optional(),
  generation: z.number().int().nonnegative().optional(),
  fresh: z.literal(true).optional(),
});

/**
 * Most node ids an execute answer lists in `completion.dispatch` (32 ids of at most 128 characters: about 4 KiB).
 * Above it, the answer says null and the callback reads the list from Redis.
 */
export const MAX_DISPATCH_IN_ANSWER = 32;

/**
 * What `/internal/execute` adds to its answer for a message marked `advanceBy: "callback"`: it recorded the node's
 * completion (`applied`: false for a repeat), the run's status after it, and the nodes that completion took for
 * dispatch, which QStash's success callback publishes once execute has answered (shared/engine/advance.ts).
 * `dispatch` is null when the completion took more than {@link MAX_DISPATCH_IN_ANSWER} nodes: QStash hands the
 * answer to the callback "maybe truncated" (docs/upstash-protocols.md B8), so the answer stays small, and the callback
 * reads the list back from Redis instead (`offer_again`, which changes nothing).
 */
export const executeCompletionSchema = z.strictObject({
  applied: z.boolean(),
  runStatus: z.string().min(1),
  dispatch: z.array(z.string().min(1).max(128)).max(MAX_DISPATCH_IN_ANSWER).nullable(),
});

/** A parsed {@link executeCompletionSchema}. */
export type ExecuteCompletion = z.output<typeof executeCompletionSchema>;

/**
 * Decodes base64 (RFC 4648 §4, or the URL-safe alphabet of §5; see shared/crypto/base64.ts) into UTF-8 text;
 * malformed UTF-8 becomes U+FFFD.
 * @throws TypeError `invalid base64` when the input is not base64.
 */
export function base64ToText(b64: string): string {
  return UTF8.decode(base64ToBytes(b64));
}

const UTF8 = new TextDecoder();
