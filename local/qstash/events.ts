import type { MessageState } from "./message.js";

/**
 * State names of a log event (docs/upstash-protocols.md B4 "Log / event"): message states plus ERROR for a failed
 * attempt.
 */
export type EventState = MessageState | "ERROR";

/** One log event (docs/upstash-protocols.md B4 "Log / event"; a subset of the fields). */
export interface QStashEvent {
  /** Unix ms. */
  time: number;
  state: EventState;
  messageId: string;
  url: string;
  /** For RETRY and CREATED: when the next attempt is due, unix ms. */
  nextDeliveryTime?: number;
  /** For ERROR/FAILED: why the attempt failed. */
  error?: string;
  /** Status of the attempt's response, if there was one. */
  responseStatus?: number;
}

/** Events kept, newest win (a ring of this many entries). */
export const MAX_EVENTS = 10_000;

/** A bounded in-memory event log, served by `GET /v2/events` and `GET /v2/logs`: a ring, O(1) per event. */
export class EventLog {
  readonly #ring: (QStashEvent | undefined)[] = new Array(MAX_EVENTS);
  /** Events ever added; the newest sits at `(#added - 1) % MAX_EVENTS`. */
  #added = 0;

  /** Appends `e`, overwriting the oldest event beyond {@link MAX_EVENTS}. */
  add(e: QStashEvent): void {
    this.#ring[this.#added % MAX_EVENTS] = e;
    this.#added += 1;
  }

  /** Events newest first, optionally only those of `messageId` and/or `state`, at most `count`. */
  query(opts: { messageId?: string; state?: string; count?: number } = {}): QStashEvent[] {
    const out: QStashEvent[] = [];
    const kept = Math.min(this.#added, MAX_EVENTS);
    for (let i = 1; i <= kept && out.length < (opts.count ?? 1000); i++) {
      const e = this.#ring[(this.#added - i) % MAX_EVENTS]!;
      if (opts.messageId && e.messageId !== opts.messageId) continue;
      if (opts.state && e.state !== opts.state) continue;
      out.push(e);
    }
    return out;
  }
}
