/**
 * An incremental parser of a `text/event-stream` body (the WHATWG HTML "server-sent events" interpretation rules):
 * lines end with CRLF, LF or CR; a blank line dispatches the event; `data` lines join with `\n`; `id` sets the last
 * event id when the event is dispatched (one containing NUL is ignored); `retry` (digits only) sets the reconnection time; lines starting with `:`
 * are comments; a block with no `data` dispatches nothing. Used by the fetch-based event reader (run-event-stream.ts),
 * since a browser's `EventSource` cannot send an `Authorization` header.
 */

/** One dispatched event: `data` joined, `event` (default `message`), `id` = the last event id at dispatch. */
export interface SseMessage {
  data: string;
  event: string;
  id: string;
}

/** Feed it text chunks as they arrive; it returns the events each chunk completes. */
export class SseParser {
  #buffer = "";
  #data: string[] = [];
  #event = "";
  #sawData = false;
  #idBuffer = "";
  /** The last event id, set when an event is dispatched (sent back as `Last-Event-ID` on reconnect). */
  lastEventId = "";
  /** The last `retry:` value, ms, or null when the server sent none. */
  retryMs: number | null = null;

  /** Drops a half-received line or event (a new connection starts clean); the last id and retry are kept. */
  reset(): void {
    this.#buffer = "";
    this.#data = [];
    this.#event = "";
    this.#sawData = false;
    this.#idBuffer = this.lastEventId;
  }

  /** Parses `chunk` (any split of the stream); returns the events it completed, in order. */
  push(chunk: string): SseMessage[] {
    this.#buffer += chunk;
    const out: SseMessage[] = [];
    for (;;) {
      const m = /\r\n|\r|\n/.exec(this.#buffer);
      if (!m) break;
      // a CR at the very end may be the first half of a CRLF: wait for the next chunk
      if (m[0] === "\r" && m.index === this.#buffer.length - 1) break;
      const line = this.#buffer.slice(0, m.index);
      this.#buffer = this.#buffer.slice(m.index + m[0].length);
      const msg = this.#line(line);
      if (msg) out.push(msg);
    }
    return out;
  }

  #line(line: string): SseMessage | null {
    if (line === "") {
      // the id counts once its event is dispatched: a connection cut before the blank line resumes before it
      this.lastEventId = this.#idBuffer;
      const msg = this.#sawData
        ? { data: this.#data.join("\n"), event: this.#event || "message", id: this.lastEventId }
        : null;
      this.#data = [];
      this.#event = "";
      this.#sawData = false;
      return msg;
    }
    if (line.startsWith(":")) return null;
    const colon = line.indexOf(":");
    const field = colon < 0 ? line : line.slice(0, colon);
    let value = colon < 0 ? "" : line.slice(colon + 1);
    if (value.startsWith(" ")) value = value.slice(1);
    if (field === "data") {
      this.#data.push(value);
      this.#sawData = true;
    } else if (field === "event") this.#event = value;
    else if (field === "id" && !value.includes("\0")) this.#idBuffer = value;
    else if (field === "retry" && /^\d+$/.test(value)) this.retryMs = Number(value);
    return null;
  }
}
