import type { AttemptOutcome } from "./delivery.js";
import type { DeadLetterFields, MessageFilter } from "./filter.js";
import { bodyView, canonicalHeaderName, type MessageRecord, messageView } from "./message.js";

/** One dead letter: the failed message and the outcome of its last attempt. */
export interface DeadLetter {
  /** `<unix ms>-<seq>`, like QStash's `"1725323658779-0"` (B4). */
  dlqId: string;
  message: MessageRecord;
  outcome: AttemptOutcome;
}

/**
 * In-memory dead-letter queue (docs/upstash-protocols.md B3 `dlq.*`, B4 "DlqMessage", B5 "moved to the DLQ").
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
    return [...this.#entries.values()].filter((e) => !filter || filter.matches(e.message, deadLetterFields(e)));
  }

  /**
   * One page of a list/delete/retry: up to `count` entries (undefined = all) matching `filter`, oldest first,
   * after the entry `cursor` (a dlqId; undefined = from the oldest). `cursor` of the result is the last entry's
   * dlqId when more matches follow, else undefined.
   */
  page(filter: MessageFilter, count?: number, cursor?: string): { entries: DeadLetter[]; cursor?: string } {
    const after = cursor === undefined ? -1 : sequenceOf(cursor);
    const matching = this.list(filter).filter((e) => sequenceOf(e.dlqId) > after);
    const entries = count === undefined ? matching : matching.slice(0, count);
    return { entries, cursor: entries.length < matching.length ? entries.at(-1)?.dlqId : undefined };
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

/** The fields a DLQ filter tests beyond the message: dlqId and the last status (0 when no response came). */
export function deadLetterFields(e: DeadLetter): DeadLetterFields {
  return { dlqId: e.dlqId, responseStatus: e.outcome.kind === "response" ? e.outcome.status : 0 };
}

/** The `<seq>` of a `<ms>-<seq>` dlqId: entries are added in increasing seq order. */
function sequenceOf(dlqId: string): number {
  return Number(dlqId.slice(dlqId.indexOf("-") + 1));
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
