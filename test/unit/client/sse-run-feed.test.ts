import { describe, expect, it } from "vitest";
import type { RunViewBody } from "../../../shared/client/run-api.js";
import { type RunEventSource, sseRunFeed } from "../../../shared/client/run-feed.js";
import { SseParser } from "../../../shared/client/sse-parser.js";
import type { RunEventBody } from "../../../shared/state/run-events.js";

const flush = () => new Promise((r) => setTimeout(r, 0));
const view = (status: string) => ({ runId: "r", status }) as unknown as RunViewBody;
const ev = (id: string, type: string, node?: string): RunEventBody => ({ id, type, ...(node ? { node } : {}) });

/** An event source the test drives: `emit` delivers an event, `end` finishes the stream, `fail` rejects it. */
function drivenSource() {
  let onEvent: ((e: RunEventBody) => void) | null = null;
  let settle: { resolve: (v: { finished: boolean }) => void; reject: (e: unknown) => void } | null = null;
  let opened = 0;
  let aborted = 0;
  const source: RunEventSource = (_runId, opts) => {
    opened += 1;
    onEvent = opts.onEvent;
    opts.signal.addEventListener("abort", () => {
      aborted += 1;
    });
    return new Promise((resolve, reject) => {
      settle = { resolve, reject };
    });
  };
  return {
    source,
    emit: (e: RunEventBody) => onEvent?.(e),
    end: () => settle?.resolve({ finished: true }),
    fail: (err: unknown) => settle?.reject(err),
    opened: () => opened,
    aborted: () => aborted,
  };
}

describe("sseRunFeed", () => {
  it("reads the view, follows the events, reads again after events (a burst coalesces), ends with the final view", async () => {
    const statuses = ["running", "running", "running", "completed"];
    let reads = 0;
    const client = { get: async () => view(statuses[Math.min(reads++, statuses.length - 1)] as string) };
    const src = drivenSource();
    const seen: string[] = [];
    const events: string[] = [];
    const sub = sseRunFeed(client, src.source, { minReadIntervalMs: 0, idleIntervalMs: 0 }).subscribe("r", {
      onView: (v) => seen.push(v.status),
      onEvent: (e) => events.push(e.type),
    });
    await flush();
    expect(seen).toEqual(["running"]);
    expect(src.opened()).toBe(1);
    src.emit(ev("1-0", "started", "a"));
    src.emit(ev("1-1", "done", "a"));
    src.emit(ev("1-2", "queued", "b"));
    await new Promise((r) => setTimeout(r, 5));
    // the first event started a read; the two during it asked for one more
    expect(reads).toBe(3);
    expect(events).toEqual(["started", "done", "queued"]);
    src.emit(ev("2-0", "run-finished"));
    src.end();
    await new Promise((r) => setTimeout(r, 5));
    expect(seen.at(-1)).toBe("completed");
    expect(src.opened()).toBe(1);
    sub.stop();
  });

  it("falls back to polling when the events cannot be read", async () => {
    let reads = 0;
    const client = {
      get: async () => {
        reads += 1;
        return view(reads >= 3 ? "completed" : "running");
      },
    };
    const src = drivenSource();
    const seen: string[] = [];
    const sub = sseRunFeed(client, src.source, { activeIntervalMs: 1, idleIntervalMs: 0 }).subscribe("r", {
      onView: (v) => seen.push(v.status),
    });
    await flush();
    src.fail(new Error("404"));
    await new Promise((r) => setTimeout(r, 30));
    expect(seen).toEqual(["running", "running", "completed"]);
    sub.stop();
  });

  it("stop aborts the event stream", async () => {
    const src = drivenSource();
    const sub = sseRunFeed({ get: async () => view("running") }, src.source).subscribe("r", { onView: () => {} });
    await flush();
    sub.stop();
    expect(src.aborted()).toBe(1);
  });
});

describe("SseParser", () => {
  it("parses events split anywhere, with CRLF, comments, multi-line data, ids and retry", () => {
    const text =
      ': hello\r\nretry: 300\r\n\r\nid: 1-0\r\ndata: {"a":\r\ndata: 1}\r\n\r\n: keep-alive\n\nid: 1-1\ndata: x\n\nretry: no\n\n';
    for (let cut = 0; cut <= text.length; cut++) {
      const p = new SseParser();
      const out = [...p.push(text.slice(0, cut)), ...p.push(text.slice(cut))];
      expect(out).toEqual([
        { data: '{"a":\n1}', event: "message", id: "1-0" },
        { data: "x", event: "message", id: "1-1" },
      ]);
      expect(p.retryMs).toBe(300);
      expect(p.lastEventId).toBe("1-1");
    }
  });

  it("reset drops a half-received event but keeps the last id", () => {
    const p = new SseParser();
    expect(p.push("id: 5-0\ndata: a\n\nid: 6-0\ndata: b")).toHaveLength(1);
    p.reset();
    expect(p.lastEventId).toBe("5-0");
    expect(p.push("id: 6-0\ndata: c\n\n")).toEqual([{ data: "c", event: "message", id: "6-0" }]);
  });
});
