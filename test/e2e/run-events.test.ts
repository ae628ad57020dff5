import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { streamRunEvents } from "../../shared/client/run-event-stream.js";
import { type RunEventBody, TERMINAL_EVENT_TYPES } from "../../shared/state/run-events.js";
import { type Harness, startHarness } from "../support/worker-harness.js";
import { node, workflow } from "../support/workflows.js";

/**
 * The run's server-sent events through the worker, the local stack and a real Redis: a client whose responses are
 * cut off mid-stream (and whose responses the server ends early, after 4 polls) reconnects with `Last-Event-ID`
 * and sees every event of the run exactly once, in order.
 */
describe("run events through the full stack", () => {
  let h: Harness;

  beforeAll(async () => {
    h = await startHarness({ vars: { SIMULATED_LATENCY_MS: "150", SSE_POLL_MS: "50", SSE_MAX_POLLS: "4" } });
  });
  afterAll(async () => {
    await h?.close();
  });

  it("a client cut off mid-run reconnects and sees every event once", async () => {
    // three levels: a root, six in parallel, a sink
    const mids = Array.from({ length: 6 }, (_, i) => node(`m${i}`, ["root"]));
    const { runId } = await h.client.start({
      workflow: workflow(
        [
          node("root"),
          ...mids,
          node(
            "sink",
            mids.map((m) => m.id),
          ),
        ],
        { concurrency: 3 },
      ),
    });
    let cuts = 0;
    let seed = 7;
    const rand = () => {
      seed = (seed * 1103515245 + 12345) % 2147483648;
      return seed / 2147483648;
    };
    // each response is cut after 1..3 chunks (at most 8 times): a chunk may end inside an event
    const cutting = async (input: string, init: RequestInit): Promise<Response> => {
      const res = await fetch(input, init);
      if (res.status !== 200 || !res.body || cuts >= 8) return res;
      const reader = res.body.getReader();
      const limit = 1 + Math.floor(rand() * 3);
      let n = 0;
      const body = new ReadableStream<Uint8Array>({
        async pull(ctl) {
          const { done, value } = await reader.read();
          if (done) return ctl.close();
          const cut = ++n >= limit;
          // half a chunk, then the cut
          ctl.enqueue(cut ? value.slice(0, Math.ceil(value.length / 2)) : value);
          if (cut) {
            cuts += 1;
            await reader.cancel();
            ctl.error(new Error("connection cut"));
          }
        },
      });
      return new Response(body, { status: res.status, headers: res.headers });
    };
    const seen: RunEventBody[] = [];
    const result = await streamRunEvents(runId, {
      baseUrl: h.url,
      apiKey: "dev-key",
      fetch: cutting,
      reconnectMs: 20,
      maxFailures: 3,
      onEvent: (e) => seen.push(e),
    });
    expect(result.finished).toBe(true);
    expect(cuts).toBeGreaterThan(0);
    expect(result.connections).toBeGreaterThan(cuts);

    // the whole log, read in one go after the end
    const whole: RunEventBody[] = [];
    await streamRunEvents(runId, { baseUrl: h.url, apiKey: "dev-key", onEvent: (e) => whole.push(e) });
    expect(seen.map((e) => e.id)).toEqual(whole.map((e) => e.id));
    expect(seen).toEqual(whole);

    const terminal = seen.filter((e) => TERMINAL_EVENT_TYPES.has(e.type)).map((e) => e.node);
    expect([...terminal].sort()).toEqual(["m0", "m1", "m2", "m3", "m4", "m5", "root", "sink"]);
    expect(seen.at(-1)).toMatchObject({ type: "run-finished", status: "completed" });
    expect((await h.client.get(runId)).status).toBe("completed");
  });
});
