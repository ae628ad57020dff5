import { Redis } from "@upstash/redis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { BlobStore } from "../../shared/blobs/blob-store.js";
import type { RunViewBody } from "../../shared/client/run-api.js";
import { SIMULATED_BANNER } from "../../shared/providers/simulated.js";
import { RunStore } from "../../shared/state/run-store.js";
import { type Harness, startHarness } from "../support/worker-harness.js";

type NodeOf = RunViewBody["levels"][number]["nodes"][number];
const nodesOf = (v: RunViewBody): Record<string, NodeOf> =>
  Object.fromEntries(v.levels.flatMap((l) => l.nodes).map((n) => [n.id, n]));

/**
 * Map nodes (`kind: "map"`) through the worker, the local QStash (delivering every message twice) and Redis, with
 * the simulated provider: the expansion into children, each run once, the join in element order, and the failures.
 */
describe("map nodes end to end under duplicate delivery", () => {
  let h: Harness;
  let store: RunStore;
  let blobs: BlobStore;

  beforeAll(async () => {
    h = await startHarness({ chaos: { duplicateDelivery: true } });
    const redis = new Redis({ url: h.stack.redisRestUrl, token: h.stack.redisToken, automaticDeserialization: false });
    store = new RunStore(redis, h.prefix);
    blobs = new BlobStore(redis, h.prefix, 3600);
  });
  afterAll(async () => {
    await h?.close();
  });

  /** The stored output text of a node of a run. */
  async function outputOf(runId: string, nodeId: string): Promise<string> {
    const ref = (await store.readRefs(runId, [nodeId]))[nodeId];
    const [text] = await blobs.getMany([ref ?? ""]);
    if (text == null) throw new Error(`no output for ${nodeId}`);
    return text;
  }

  it("a map over 200 input elements runs 200 children once each, and its dependent reads them in order", async () => {
    const items = Array.from({ length: 200 }, (_, i) => ({ name: `file-${i}.ts` }));
    const { runId } = await h.client.start({
      workflow: {
        name: "map-200",
        concurrency: 20,
        agents: { a: { model: "sim-fast" } },
        nodes: [
          { id: "each", kind: "map", agent: "a", over: "{{input.items}}", prompt: "Review #{{index}} {{item.name}}" },
          {
            id: "join",
            agent: "a",
            dependsOn: ["each"],
            prompt: "First {{nodes.each.output[0]}}\nAll {{nodes.each.output}}",
          },
        ],
      },
      input: { items },
    });
    const view = await h.waitForRun(runId, 240_000);
    expect(view.status).toBe("completed");
    const nodes = nodesOf(view);
    const children = view.levels.flatMap((l) => l.nodes).filter((n) => n.map?.node === "each");
    expect(children).toHaveLength(200);
    expect(children.map((c) => c.map?.index)).toEqual(items.map((_, i) => i));
    // every message was delivered twice, yet each child was claimed once and paid once
    expect(children.filter((c) => c.status !== "done" || c.attempts !== 1)).toEqual([]);
    expect(children.filter((c) => c.paidCalls?.length !== 1)).toEqual([]);
    expect(view.totals.nodes).toBe(202);
    expect(view.totals.done).toBe(202);
    expect(nodes.each?.status).toBe("done");
    expect(nodes.join?.status).toBe("done");

    const joined = JSON.parse(await outputOf(runId, "each")) as string[];
    expect(joined).toHaveLength(200);
    joined.forEach((text, i) => {
      expect(text.startsWith(SIMULATED_BANNER)).toBe(true);
      expect(text).toContain(`on node each[${i}],`);
      expect(text).toContain(`> Review #${i} file-${i}.ts`);
    });
    // the join's prompt read the array (its first element, then all of it)
    expect(await outputOf(runId, "join")).toContain("> First [SIMULATED");
    const stats = h.stack.stats();
    expect(stats.qstashDeliveries).toBeGreaterThanOrEqual(2 * stats.qstashMessagesPublished);
  });

  it("a map over 0 elements completes at once with []", async () => {
    const view = await h.client.run({
      workflow: {
        name: "map-empty",
        agents: { a: {} },
        nodes: [
          { id: "each", kind: "map", agent: "a", over: "{{input.items}}", prompt: "{{item}}" },
          { id: "after", agent: "a", dependsOn: ["each"], prompt: "Got {{nodes.each.output}}" },
        ],
      },
      input: { items: [] },
    });
    expect(view.status).toBe("completed");
    expect(view.totals.nodes).toBe(2);
    expect(await outputOf(view.runId, "each")).toBe("[]");
    expect(await outputOf(view.runId, "after")).toContain("> Got []");
  });

  it("over resolving to a non-array fails the map without retries, naming the node", async () => {
    const view = await h.client.run({
      workflow: {
        name: "map-not-array",
        defaults: { retries: 3, timeout: "30s" },
        agents: { a: {} },
        nodes: [
          { id: "each", kind: "map", agent: "a", over: "{{input.items}}", prompt: "{{item}}" },
          { id: "after", agent: "a", dependsOn: ["each"], prompt: "{{nodes.each.output}}" },
        ],
      },
      input: { items: { not: "an array" } },
    });
    expect(view.status).toBe("failed");
    const nodes = nodesOf(view);
    expect(nodes.each?.status).toBe("failed");
    expect(nodes.each?.attempts).toBe(1);
    expect(nodes.each?.error).toMatch(
      /map node "each": "over" \{\{input\.items\}\} resolved to an object, not a JSON array/,
    );
    expect(nodes.after?.status).toBe("skipped");
  });

  it("an array longer than maxItems fails the map, naming the length and the limit", async () => {
    const view = await h.client.run({
      workflow: {
        name: "map-too-long",
        agents: { a: {} },
        nodes: [{ id: "each", kind: "map", agent: "a", over: "{{input.items}}", maxItems: 5, prompt: "{{item}}" }],
      },
      input: { items: [1, 2, 3, 4, 5, 6, 7] },
    });
    expect(view.status).toBe("failed");
    const each = nodesOf(view).each;
    expect(each?.attempts).toBe(1);
    expect(each?.error).toMatch(/map node "each": "over" \{\{input\.items\}\} has 7 elements; the limit is 5/);
    expect(view.levels.flatMap((l) => l.nodes).filter((n) => n.map)).toEqual([]);
  });

  it("failed children skip the map and its dependents; a retry re-runs only them, and the map joins", async () => {
    const workflow = {
      name: "map-retry",
      agents: { a: {} },
      nodes: [
        {
          id: "each",
          kind: "map" as const,
          agent: "a",
          over: "{{input.items}}",
          prompt: "{{item}}",
          retries: 0,
          // two: a duplicate delivery takes over a given-up attempt and runs the next one
          simulate: { failAttempts: 2 },
        },
        { id: "after", agent: "a", dependsOn: ["each"], prompt: "{{nodes.each.output}}" },
      ],
    };
    const failed = await h.client.run({ workflow, input: { items: ["x", "y"] } });
    expect(failed.status).toBe("failed");
    let nodes = nodesOf(failed);
    expect([nodes["each[0]"]?.status, nodes["each[1]"]?.status]).toEqual(["failed", "failed"]);
    expect(nodes.each?.status).toBe("skipped");
    expect(nodes.after?.status).toBe("skipped");

    await h.client.retry(failed.runId);
    const view = await h.waitForRun(failed.runId);
    expect(view.status).toBe("completed");
    nodes = nodesOf(view);
    const attempts = [nodes["each[0]"]?.attempts ?? 0, nodes["each[1]"]?.attempts ?? 0];
    expect(attempts.every((a) => a > 2)).toBe(true);
    const joined = JSON.parse(await outputOf(view.runId, "each")) as string[];
    expect(joined.map((t, i) => t.includes(`on node each[${i}], attempt ${attempts[i]}.`))).toEqual([true, true]);
  });

  it("under onFailure continue, a failed child's [FAILED: …] text takes its place in the array", async () => {
    const view = await h.client.run({
      workflow: {
        name: "map-continue",
        agents: { a: {} },
        nodes: [
          {
            id: "each",
            kind: "map",
            agent: "a",
            over: "{{input.items}}",
            prompt: "{{item}}",
            retries: 0,
            onFailure: "continue",
            // two: a duplicate delivery takes over a given-up attempt and runs the next one
            simulate: { failAttempts: 2 },
          },
        ],
      },
      input: { items: ["only"] },
    });
    expect(view.status).toBe("completed");
    const joined = JSON.parse(await outputOf(view.runId, "each")) as string[];
    expect(joined).toHaveLength(1);
    expect(joined[0]).toMatch(/^\[FAILED: .*simulated failure of attempt [12]/);
  });

  it("a map over an array field of an upstream structured output, with a child schema read by field downstream", async () => {
    const view = await h.client.run({
      workflow: {
        name: "map-structured",
        agents: { a: {} },
        nodes: [
          {
            id: "plan",
            agent: "a",
            prompt: "List the files.",
            output: {
              schema: {
                type: "object",
                required: ["files"],
                properties: { files: { type: "array", minItems: 3, items: { type: "string" } } },
              },
            },
          },
          {
            id: "each",
            kind: "map",
            agent: "a",
            dependsOn: ["plan"],
            over: "{{nodes.plan.output.files}}",
            prompt: "Score file {{index}}: {{item}}",
            output: {
              schema: { type: "object", required: ["score"], properties: { score: { type: "number", minimum: 7 } } },
            },
          },
          { id: "sum", agent: "a", dependsOn: ["each"], prompt: "Second score {{nodes.each.output[1].score}}" },
        ],
      },
    });
    expect(view.status).toBe("completed");
    const children = view.levels.flatMap((l) => l.nodes).filter((n) => n.map?.node === "each");
    expect(children.map((c) => c.id)).toEqual(["each[0]", "each[1]", "each[2]"]);
    expect(JSON.parse(await outputOf(view.runId, "each"))).toEqual([{ score: 7 }, { score: 7 }, { score: 7 }]);
    expect(await outputOf(view.runId, "sum")).toContain("> Second score 7");
  });
});

describe("map nodes and the run's node limit", () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness({ vars: { MAX_WORKFLOW_NODES: "6" } });
  });
  afterAll(async () => {
    await h?.close();
  });

  it("fails a map whose children would take the run past MAX_WORKFLOW_NODES, naming the counts and the limit", async () => {
    const workflow = {
      name: "map-node-limit",
      agents: { a: {} },
      nodes: [
        { id: "each", kind: "map" as const, agent: "a", over: "{{input.items}}", prompt: "{{item}}" },
        { id: "after", agent: "a", dependsOn: ["each"], prompt: "{{nodes.each.output}}" },
      ],
    };
    // 2 nodes + 4 children = 6: within the limit
    const fits = await h.client.run({ workflow, input: { items: [1, 2, 3, 4] } });
    expect(fits.status).toBe("completed");
    expect(fits.totals.nodes).toBe(6);
    const over = await h.client.run({ workflow, input: { items: [1, 2, 3, 4, 5] } });
    expect(over.status).toBe("failed");
    const each = nodesOf(over).each;
    expect(each?.status).toBe("failed");
    expect(each?.error).toMatch(/has 5 elements, but the run holds 2 nodes and its node limit is 6/);
    expect(over.levels.flatMap((l) => l.nodes).filter((n) => n.map)).toEqual([]);
  });
});
