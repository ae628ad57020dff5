import type { MessageState } from "./message.js";

/** State names of a log event (upstash-protocols.md B4 "Log / event"): message states plus ERROR for a failed attempt. */
export type EventState = MessageState | "ERROR";

/** One log event (upstash-protocols.md B4 "Log / event"; a subset of the fields). */
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

/** A bounded in-memory event log, served by `GET /v2/events` and `GET /v2/logs`. */
export class EventLog {
  readonly #events: QStashEvent[] = [];

  /** Appends `e`, dropping the oldest event beyond {@link MAX_EVENTS}. */
  add(e: QStashEvent): void {
    this.#events.push(e);
    if (this.#events.length > MAX_EVENTS) this.#events.splice(0, this.#events.length - MAX_EVENTS);
  }

  /** Events newest first, optionally only those of `messageId` and/or `state`, at most `count`. */
  query(opts: { messageId?: string; state?: string; count?: number } = {}): QStashEvent[] {
    const out: QStashEvent[] = [];
    for (let i = this.#events.length - 1; i >= 0 && out.length < (opts.count ?? 1000); i--) {
      const e = this.#events[i]!;
      if (opts.messageId && e.messageId !== opts.messageId) continue;
      if (opts.state && e.state !== opts.state) continue;
      out.push(e);
    }
    return out;
  }
}
