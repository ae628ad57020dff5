import type { AttemptOutcome } from "./delivery.js";
import type { MessageFilter } from "./filter.js";
import { bodyView, canonicalHeaderName, type MessageRecord, messageView } from "./message.js";

/** One dead letter: the failed message and the outcome of its last attempt. */
export interface DeadLetter {
  /** `<unix ms>-<seq>`, like QStash's `"1725323658779-0"` (B4). */
  dlqId: string;
  message: MessageRecord;
  outcome: AttemptOutcome;
}

/**
 * In-memory dead-letter queue (upstash-protocols.md B3 `dlq.*`, B4 "DlqMessage", B5 "moved to the DLQ").
 * Entries stay until deleted or retried.
 */
export class DeadLetterQueue {
  readonly #entries = new Map<string, DeadLetter>();
  #seq = 0;

  /** Stores `message` (a snapshot) with its last `outcome`. @returns the new dlqId. */
  add(message: MessageRecord, outcome: AttemptOutcome, now = Date.now()): string {
    const dlqId = `${now}-${this.#seq++}`;
    this.#entries.set(dlqId, { dlqId, message: { ...message }, outcome });
    return dlqId;
  }

  /** The entry `dlqId`, if present. */
  get(dlqId: string): DeadLetter | undefined {
    return this.#entries.get(dlqId);
  }

  /** Entries matching `filter`, oldest first. */
  list(filter?: MessageFilter): DeadLetter[] {
    return [...this.#entries.values()].filter((e) => !filter || filter.matches(e.message, { dlqId: e.dlqId }));
  }

  /** Removes `dlqId`. @returns true when it existed. */
  delete(dlqId: string): boolean {
    return this.#entries.delete(dlqId);
  }

  /** Number of entries. */
  size(): number {
    return this.#entries.size;
  }
}

/**
 * JSON of one DLQ entry: the B4 Message fields plus `dlqId`, `responseStatus`, `responseHeader`
 * (Record<string,string[]>) and `responseBody` or `responseBodyBase64`. An attempt without a response reports
 * status 0 and adds `error`.
 */
export function deadLetterView(e: DeadLetter): Record<string, unknown> {
  const view: Record<string, unknown> = { ...messageView(e.message), dlqId: e.dlqId };
  if (e.outcome.kind === "response") {
    const header: Record<string, string[]> = {};
    for (const [k, v] of Object.entries(e.outcome.headers)) header[canonicalHeaderName(k)] = v;
    Object.assign(view, {
      responseStatus: e.outcome.status,
      responseHeader: header,
      ...bodyView(e.outcome.body, "responseBody"),
    });
  } else {
    Object.assign(view, { responseStatus: 0, responseHeader: {}, responseBody: "", error: e.outcome.error });
  }
  return view;
}
