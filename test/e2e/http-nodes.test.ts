import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type FakeFlowise, startFakeFlowise } from "../../local/fake-providers/flowise.js";
import type { RunViewBody } from "../../shared/client/run-api.js";
import { RunClientError } from "../../shared/client/run-client-error.js";
import { type Harness, startHarness } from "../support/worker-harness.js";

/**
 * http nodes through the worker, the local QStash and a real Redis: QStash calls the fake Flowise endpoint itself
 * and reports the response to the worker's signed callback.
 */
const SECRET = "flowise-secret-7f3a9c";

const nodesOf = (v: RunViewBody) => Object.fromEntries(v.levels.flatMap((l) => l.nodes).map((n) => [n.id, n]));

describe("http nodes through the full stack", () => {
  let h: Harness;
  let flowise: FakeFlowise;

  beforeAll(async () => {
    flowise = await startFakeFlowise({ port: 0, apiKey: SECRET });
    h = await startHarness({
      vars: {
        HTTP_NODE_ALLOWED_HOSTS: new URL(flowise.url).host,
        HTTP_NODE_SECRETS: "FLOWISE_API_KEY",
        FLOWISE_API_KEY: SECRET,
      },
    });
  });
  afterAll(async () => {
    await h?.close();
    await flowise?.close();
  });

  const ask = (extra: Record<string, unknown> = {}) => ({
    id: "ask",
    kind: "http",
    http: {
      url: `${flowise.url}/api/v1/prediction/{{input.chatflow}}`,
      headers: { Authorization: "Bearer {{secrets.FLOWISE_API_KEY}}" },
      body: { question: "{{input.question}}" },
    },
    ...extra,
  });

  it("records the response as the node's output; an llm node reads a field of it; the secret shows nowhere", async () => {
    flowise.reset();
    const { runId } = await h.client.start({
      workflow: {
        name: "http-ask",
        nodes: [ask(), { id: "summary", dependsOn: ["ask"], prompt: "Restate: {{nodes.ask.output.text}}" }],
      },
      input: { chatflow: "cf1", question: "What is a DAG?" },
    });
    const view = await h.waitForRun(runId);
    expect(view.status).toBe("completed");
    const nodes = nodesOf(view);
    expect(nodes.ask?.status).toBe("done");
    // no model, no tokens, no cost
    expect(nodes.ask?.usage?.inputTokens ?? 0).toBe(0);
    expect(nodes.ask?.costUsd ?? 0).toBe(0);

    // QStash called the fake itself, with the rendered body and the secret header
    const calls = flowise.calls();
    expect(calls).toHaveLength(1);
    expect(calls[0]?.path).toBe("/api/v1/prediction/cf1");
    expect(calls[0]?.headers.authorization).toBe(`Bearer ${SECRET}`);
    expect(JSON.parse(calls[0]?.body ?? "{}")).toEqual({ question: "What is a DAG?" });

    // the response, kept as JSON text (its excerpt is its start)
    expect(nodes.ask?.excerpt).toMatch(
      /^\{"text":"\[FAKE FLOWISE cf1\] answer to: What is a DAG\?","question":"What is a DAG\?"/,
    );
    const out = await h.client.output(runId);
    // the simulated answer quotes the prompt's first line: the field was rendered into it
    expect(out.outputs.summary).toContain("Restate: [FAKE FLOWISE cf1] answer to: What is a DAG?");

    // the secret is in no view of the run: its view, its outputs, its events
    const events = await fetch(`${h.url}/v1/runs/${runId}/events`, {
      headers: { Authorization: "Bearer dev-key" },
    }).then((r) => r.text());
    expect(events).toContain("run-finished");
    for (const text of [JSON.stringify(view), JSON.stringify(out), events]) expect(text).not.toContain(SECRET);
  });

  it("fails the node with the endpoint's status when it answers 500 through every retry", async () => {
    flowise.reset();
    flowise.failNext(10, 500);
    const { runId } = await h.client.start({
      workflow: {
        name: "http-fails",
        nodes: [ask({ retries: 1 }), { id: "after", dependsOn: ["ask"], prompt: "{{nodes.ask.output.text}}" }],
      },
      input: { chatflow: "cf2", question: "Fail?" },
    });
    const view = await h.waitForRun(runId);
    expect(view.status).toBe("failed");
    const nodes = nodesOf(view);
    expect(nodes.ask?.status).toBe("failed");
    expect(nodes.ask?.error).toContain("answered HTTP 500 after 2 attempts");
    expect(nodes.after?.status).toBe("skipped");
    // one first attempt and one retry reached the endpoint
    expect(flowise.calls()).toHaveLength(2);
  });

  it("fails the node naming the size when the response is larger than an http node keeps", async () => {
    flowise.reset();
    flowise.padText(1_100_000);
    const { runId } = await h.client.start({
      workflow: { name: "http-big", nodes: [ask({ retries: 0 })] },
      input: { chatflow: "cf3", question: "Big?" },
    });
    const view = await h.waitForRun(runId);
    expect(view.status).toBe("failed");
    expect(nodesOf(view).ask?.error).toMatch(
      /the response of 127\.0\.0\.1:\d+ is 11\d{5} bytes, more than the 1000000/,
    );
  });

  it.each([
    ["http://10.0.0.5/api", "private"],
    ["http://169.254.169.254/latest/meta-data/", "link-local"],
  ])("refuses %s at validation (422 naming the field and node), storing nothing", async (url, reason) => {
    const before = (await h.client.list()).runs.length;
    const err = await h.client
      .start({ workflow: { name: "http-ssrf", nodes: [{ id: "peek", kind: "http", http: { url } }] } })
      .then(
        () => null,
        (e: unknown) => e,
      );
    expect(err).toBeInstanceOf(RunClientError);
    const problem = (err as RunClientError).problem;
    expect((err as RunClientError).status).toBe(422);
    const errors = (problem as { errors?: { pointer: string; node?: string; detail: string }[] }).errors ?? [];
    expect(errors).toContainEqual(
      expect.objectContaining({
        pointer: "/workflow/nodes/0/http/url",
        node: "peek",
        detail: expect.stringContaining(reason),
      }),
    );
    expect((await h.client.list()).runs.length).toBe(before);
  });
});
