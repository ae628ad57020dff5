/**
 * The run event log in the benchmark: the delay from a transition to its server-sent event at a client, and what
 * the log adds to Redis per node. A few runs of a 40-node DAG (simulated calls, 8 at a time) are each watched by a
 * client of `GET /v1/runs/:id/events` (the worker's default polling, 250 ms); an event's delay is the time it was
 * read by the client minus the ms of its stream id (Redis' clock when the transition's script ran; Redis, the
 * worker and the client share this machine's clock). Then the runs' streams are read from Redis: events (one XADD
 * each, inside the transition's own script, so no added request to Upstash) and bytes per node (payload: ids, field
 * names and values; memory: `MEMORY USAGE` of the stream).
 */
import { Redis as IORedis } from "ioredis";
import type { RunRequest } from "../../shared/client/run-api.js";
import { streamRunEvents } from "../../shared/client/run-event-stream.js";
import { runKeys } from "../../shared/state/keys.js";
import { streamIdMs } from "../../shared/state/run-events.js";
import { DEV_API_KEY, type EngineHarness } from "./engine-harness.js";
import { summarize } from "./percentiles.js";
import type { EventLogResult } from "./results.js";

/** Nodes of the measured DAG: 5 levels of 8. */
const LEVELS = 5;
const WIDTH = 8;

/** A 40-node DAG: each node of a level depends on two nodes of the level before. */
function eventWorkflow(latencyMs: number): Record<string, unknown> {
  const nodes = [];
  for (let l = 0; l < LEVELS; l++) {
    for (let i = 0; i < WIDTH; i++) {
      const dependsOn = l === 0 ? [] : [`n${l - 1}-${i}`, `n${l - 1}-${(i + 1) % WIDTH}`];
      nodes.push({ id: `n${l}-${i}`, agent: "a", prompt: `Do ${l}-${i}.`, dependsOn, simulate: { latencyMs } });
    }
  }
  return {
    name: "bench-event-log",
    cache: false,
    concurrency: WIDTH,
    agents: { a: { system: "You bench.", model: "sim-fast" } },
    nodes,
  };
}

/**
 * Runs `runs` runs one after another, each watched live, then reads their streams.
 * @param latencyMs simulated latency per call.
 * @param redisUrl the Redis behind the stack (for MEMORY USAGE and XRANGE), when it is a real one.
 * @throws the run API's error when a run cannot be started or its events cannot be read.
 */
export async function measureEventLog(
  engine: EngineHarness,
  opts: { runs: number; latencyMs: number; redisUrl: string | null },
): Promise<EventLogResult> {
  const delays: number[] = [];
  const runIds: string[] = [];
  let connections = 0;
  for (let r = 0; r < opts.runs; r++) {
    const runId = await engine.startRun({ workflow: eventWorkflow(opts.latencyMs) as RunRequest["workflow"] });
    runIds.push(runId);
    let connectedAt = Number.POSITIVE_INFINITY;
    await streamRunEvents(runId, {
      baseUrl: engine.url,
      apiKey: DEV_API_KEY,
      signal: AbortSignal.timeout(120_000),
      onConnect: () => {
        connections += 1;
        connectedAt = Math.min(connectedAt, Date.now());
      },
      onEvent: (e) => {
        // events written before the client first connected (the start) were not waiting for it: no live delay
        const ms = streamIdMs(e.id);
        if (Number.isFinite(ms) && ms >= connectedAt) delays.push(Date.now() - ms);
      },
    });
  }
  let events = 0;
  let payload = 0;
  let memory: number | null = null;
  const redis = opts.redisUrl ? new IORedis(opts.redisUrl, { lazyConnect: true, maxRetriesPerRequest: 1 }) : null;
  try {
    if (redis) {
      await redis.connect();
      memory = 0;
      for (const runId of runIds) {
        const key = runKeys(engine.prefix, runId).events;
        const entries = await redis.xrange(key, "-", "+");
        events += entries.length;
        for (const [id, fields] of entries) payload += id.length + fields.reduce((n, f) => n + Buffer.byteLength(f), 0);
        memory += Number((await redis.call("MEMORY", "USAGE", key, "SAMPLES", "0")) ?? 0);
      }
    }
  } finally {
    redis?.disconnect();
  }
  const nodes = runIds.length * LEVELS * WIDTH;
  return {
    runs: runIds.length,
    nodes,
    events,
    delayMs: summarize(delays),
    eventsPerNode: nodes > 0 ? events / nodes : 0,
    payloadBytesPerNode: nodes > 0 ? payload / nodes : 0,
    memoryBytesPerNode: memory === null || nodes === 0 ? null : memory / nodes,
    connections,
  };
}
