/**
 * `npm run bench:handover -- --workload bwa --concurrency 4 [--cp-ms 5000] [--runs 1]`: runs one workload with a
 * concurrency limit through the full local stack (as `npm run bench` does) and prints where its nodes' slot time
 * went beyond their latency (slot-handover.ts), read from the run view, the run's leases in Redis (which message ran
 * each node) and the QStash emulator's event log. Prints only; writes no results file.
 */
import "../require-node.js";
import { parseArgs } from "node:util";
import { Redis } from "@upstash/redis";
import { runKeys } from "../../shared/state/keys.js";
import { loadWorkload, warmUp } from "./cli.js";
import { type EngineHarness, startEngine } from "./engine-harness.js";
import { BENCH_INPUT } from "./engine-run.js";
import type { Summary } from "./percentiles.js";
import { prepareWorkload } from "./plan.js";
import { type HandoverMessage, type HandoverNode, slotHandover } from "./slot-handover.js";
import { workloadWorkflow } from "./workflow.js";

/** Events of the emulator's log read per state; its ring keeps 10,000 (local/qstash/events.ts). */
const EVENT_COUNT = 10_000;

interface EmulatorEvent {
  time: number;
  state: string;
  messageId: string;
}

async function events(engine: EngineHarness, state: string): Promise<EmulatorEvent[]> {
  const res = await fetch(`${engine.stack.qstashUrl}/v2/events?state=${state}&count=${EVENT_COUNT}`, {
    headers: { authorization: `Bearer ${engine.stack.qstashToken}` },
  });
  if (!res.ok) throw new Error(`GET /v2/events answered ${res.status}`);
  return ((await res.json()) as { events: EmulatorEvent[] }).events;
}

/** Earliest (CREATED) or latest (ACTIVE, DELIVERED: the last attempt's) time per message id. */
function timesById(list: EmulatorEvent[], pick: "first" | "last"): Map<string, number> {
  const out = new Map<string, number>();
  for (const e of list) {
    const seen = out.get(e.messageId);
    if (seen === undefined || (pick === "first" ? e.time < seen : e.time > seen)) out.set(e.messageId, e.time);
  }
  return out;
}

const fmt = (s: Summary) =>
  s.count === 0 ? "–" : `mean ${s.mean!.toFixed(1)} p50 ${s.p50!.toFixed(1)} p95 ${s.p95!.toFixed(1)}`;

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      workload: { type: "string", default: "bwa" },
      concurrency: { type: "string", default: "4" },
      "cp-ms": { type: "string", default: "5000" },
      runs: { type: "string", default: "1" },
    },
  });
  const concurrency = Number(values.concurrency);
  const cpMs = Number(values["cp-ms"]);
  const runs = Number(values.runs);
  if (!Number.isInteger(concurrency) || concurrency < 1 || !(cpMs > 0) || !Number.isInteger(runs) || runs < 1) {
    throw new Error("usage: --workload <name> --concurrency <1..1000> [--cp-ms <ms>] [--runs <n>]");
  }
  const workload = loadWorkload(values.workload);
  const p = prepareWorkload(workload, cpMs, [concurrency]);
  const engine = await startEngine();
  try {
    const redis = new Redis({
      url: engine.stack.redisRestUrl,
      token: engine.stack.redisToken,
      automaticDeserialization: false,
      enableTelemetry: false,
    });
    await warmUp(engine);
    for (let r = 0; r < runs; r++) {
      const workflow = workloadWorkflow(workload, { scaleMsPerSecond: p.scaleMsPerSecond, concurrency });
      const runId = await engine.startRun({ workflow, input: BENCH_INPUT });
      const { views } = await engine.waitForRuns([runId], 600_000);
      const view = views[0]!;
      const leases = (await redis.hgetall(runKeys(engine.prefix, runId).lease)) as unknown;
      const flat = Array.isArray(leases)
        ? (leases as string[])
        : Object.entries((leases ?? {}) as Record<string, string>).flat();
      const messageOf = new Map<string, string>();
      for (let i = 0; i + 1 < flat.length; i += 2)
        messageOf.set(String(flat[i]), String(flat[i + 1]).replace(/:\d+$/, ""));
      const [created, active, delivered] = await Promise.all([
        events(engine, "CREATED"),
        events(engine, "ACTIVE"),
        events(engine, "DELIVERED"),
      ]);
      const c = timesById(created, "first");
      const a = timesById(active, "last");
      const d = timesById(delivered, "last");
      const nodes: HandoverNode[] = [];
      const messages: HandoverMessage[] = [];
      const viewNodes = view.levels.flatMap((l) => l.nodes);
      const finished = new Map(viewNodes.map((n) => [n.id, n.finishedAt ? Date.parse(n.finishedAt) : Number.NaN]));
      for (const n of viewNodes) {
        if (!n.startedAt || !n.finishedAt) continue;
        const deps = p.dag.dependencies[n.id] ?? [];
        const readyAt = deps.length > 0 ? Math.max(...deps.map((d) => finished.get(d) ?? Number.NaN)) : undefined;
        nodes.push({
          id: n.id,
          startedAt: Date.parse(n.startedAt),
          finishedAt: Date.parse(n.finishedAt),
          latencyMs: p.dag.weightMs[n.id] ?? 0,
          ...(readyAt !== undefined && Number.isFinite(readyAt) ? { readyAt } : {}),
        });
        const id = messageOf.get(n.id);
        const [ct, at, dt] = id ? [c.get(id), a.get(id), d.get(id)] : [];
        if (id && ct !== undefined && at !== undefined && dt !== undefined)
          messages.push({ nodeId: n.id, messageId: id, createdAt: ct, activeAt: at, deliveredAt: dt });
      }
      const h = slotHandover(nodes, messages, concurrency);
      const list = p.summary.listScheduleMs[`P${concurrency}`]?.dep ?? null;
      process.stdout.write(
        [
          `${workload.name}, ${concurrency} slots: ${view.status}, makespan ${view.makespanMs} ms${list ? `, ${(view.makespanMs / list).toFixed(3)} × the list schedule (${Math.round(list)} ms)` : ""}`,
          `  nodes matched to their message: ${h.nodes} of ${view.totals.done}, in ${h.deliveries} deliveries`,
          `  receive (slot granted -> first node starts): ${fmt(h.receiveMs)} ms (per delivery)`,
          `  in-node (beyond the latency):               ${fmt(h.inNodeMs)} ms`,
          `  chain step (node ends -> next node starts): ${fmt(h.chainStepMs)} ms (per chained node)`,
          `  answer (last node ends -> slot free):       ${fmt(h.answerMs)} ms (per delivery)`,
          `  refill late: ${(100 * h.refill.share).toFixed(0)}% of hand-overs, waiting ${fmt(h.refill.waitMs)} ms`,
          `  slot time beyond the latency, per node:     ${h.meanOverheadMs?.toFixed(1) ?? "–"} ms (mean)`,
          "",
        ].join("\n"),
      );
    }
  } finally {
    await engine.close();
  }
  process.exit(0);
}

main().catch((err: unknown) => {
  process.stderr.write(`bench:handover failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});
