import { describe, expect, it } from "vitest";
import {
  approvalMode,
  followWithApprovals,
  parseYesNo,
  signalCommands,
  type WaitingNode,
  waitingNodes,
} from "../../../local/demo-approval";
import type { RunView } from "../../../local/run-view";
import type { RunClient } from "../../../shared/client/run-client";
import { RunFollowTimeoutError } from "../../../shared/client/run-client-error";
import { costedView, node } from "./fixtures";

const wait = (question: string, deadline: string | null) => ({
  question,
  deadline,
  signal: null,
  asked: true,
});

/** A view whose node `approve` has `status`, with the wait view given. */
function viewWith(status: RunView["status"], approve: Partial<RunView["levels"][0]["nodes"][0]>): RunView {
  const v = costedView();
  v.status = status;
  v.levels[2]!.nodes.push(node("approve", approve));
  return v;
}

/** A client whose `get` answers the given views in turn (the last one again once they run out). */
function clientOf(views: RunView[]): RunClient {
  let i = 0;
  return { get: async () => views[Math.min(i++, views.length - 1)] } as unknown as RunClient;
}

describe("approvalMode", () => {
  it("takes the flag, else asks on a terminal, else prints the commands", () => {
    expect(approvalMode("approve", true)).toBe("approve");
    expect(approvalMode("reject", false)).toBe("reject");
    expect(approvalMode(null, true)).toBe("ask");
    expect(approvalMode(null, false)).toBe("print");
  });
});

describe("parseYesNo", () => {
  it("reads y/yes and n/no in any case, and nothing else", () => {
    expect(["y", " Yes ", "YES"].map(parseYesNo)).toEqual([true, true, true]);
    expect(["n", "No"].map(parseYesNo)).toEqual([false, false]);
    expect(["", "maybe", "yep"].map(parseYesNo)).toEqual([null, null, null]);
  });
});

describe("waitingNodes", () => {
  it("lists the waiting nodes with their question and deadline", () => {
    const v = viewWith("running", { status: "waiting", wait: wait("Ship it?", "2026-12-07T12:00:00.000Z") });
    expect(waitingNodes(v)).toEqual([{ id: "approve", question: "Ship it?", deadline: "2026-12-07T12:00:00.000Z" }]);
    expect(waitingNodes(viewWith("running", { status: "done" }))).toEqual([]);
  });
});

describe("signalCommands", () => {
  it("gives the CLI and curl commands for the run's node, quoted for a shell", () => {
    const [cli, curl] = signalCommands("http://127.0.0.1:8787", "dev-key", "run_1", "approve");
    expect(cli).toBe(
      "AGENT_DAG_URL=http://127.0.0.1:8787 AGENT_DAG_API_KEY=dev-key npx agent-dag signal run_1 approve    # add --reject to reject",
    );
    expect(curl).toBe(
      "curl -X POST http://127.0.0.1:8787/v1/runs/run_1/nodes/approve/signal -H 'authorization: Bearer dev-key' " +
        `-H 'content-type: application/json' -d '{"approved":true}'`,
    );
    expect(signalCommands("http://h", "it's", "r", "a b")[0]).toContain(`AGENT_DAG_API_KEY='it'\\''s'`);
    expect(signalCommands("http://h", "k", "r", "a b")[1]).toContain("/nodes/a%20b/signal");
  });
});

describe("followWithApprovals", () => {
  const noop = () => {};
  const signal = new AbortController().signal;

  it("hands each newly waiting node to onWaiting once, and returns the final view", async () => {
    const waiting = viewWith("running", { status: "waiting", wait: wait("Ship it?", "d1") });
    const done = viewWith("completed", { status: "done" });
    const asked: WaitingNode[] = [];
    const seen: string[] = [];
    const final = await followWithApprovals(clientOf([waiting, waiting, waiting, done]), "run_1", {
      intervalMs: 0,
      timeoutMs: 10_000,
      signal,
      onView: (v) => seen.push(v.status),
      onWaiting: async (n) => {
        asked.push(n);
      },
    });
    expect(final).toBe(done);
    expect(seen).toEqual(["running", "running", "running", "completed"]);
    expect(asked).toEqual([{ id: "approve", question: "Ship it?", deadline: "d1" }]);
  });

  it("asks again when the node waits anew (a later try's deadline)", async () => {
    const first = viewWith("running", { status: "waiting", wait: wait("Ship it?", "d1") });
    const again = viewWith("running", { status: "waiting", wait: wait("Ship it?", "d2") });
    const done = viewWith("failed", { status: "failed" });
    const asked: string[] = [];
    await followWithApprovals(clientOf([first, again, done]), "run_1", {
      intervalMs: 0,
      timeoutMs: 10_000,
      signal,
      onView: noop,
      onWaiting: async (n) => {
        asked.push(n.deadline ?? "");
      },
    });
    expect(asked).toEqual(["d1", "d2"]);
  });

  it("gives up after the timeout with the last view, not counting the time spent answering", async () => {
    const waiting = viewWith("running", { status: "waiting", wait: wait("Ship it?", "d1") });
    const done = viewWith("completed", { status: "done" });
    // answering takes longer than the whole timeout, and the run still finishes afterwards
    const final = await followWithApprovals(clientOf([waiting, done]), "run_1", {
      intervalMs: 0,
      timeoutMs: 50,
      signal,
      onView: noop,
      onWaiting: () => new Promise((r) => setTimeout(r, 120)),
    });
    expect(final.status).toBe("completed");
    const stuck = viewWith("running", { status: "running" });
    const err = await followWithApprovals(clientOf([stuck]), "run_1", {
      intervalMs: 10,
      timeoutMs: 30,
      signal,
      onView: noop,
      onWaiting: async () => {},
    }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RunFollowTimeoutError);
    expect((err as RunFollowTimeoutError).view).toBe(stuck);
  });
});
