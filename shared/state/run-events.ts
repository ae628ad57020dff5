/**
 * The run event log: every transition script appends the events of what it changed to the run's capped Redis
 * Stream (key `events`, shared/state/keys.ts), through the prelude's `emit` (shared/state/lua/prelude.ts). The
 * event is written by the same script as the change, so a duplicate delivery that changes nothing emits nothing
 * and no event is lost or invented. Entries are flat field/value pairs (`type`, `node`, then the type's fields),
 * never JSON; stream ids (`<ms>-<seq>`) order them and let a reader resume after the last one it saw.
 *
 * Types and their fields:
 * - run events (`node` empty): `run-started` {nodes}, `cancel`, `retry` {try, nodes (comma-separated, reset to
 *   pending)}, `rerun` {try, from, nodes}, `run-finished` {status: completed | failed | cancelled};
 * - node events: `queued` {reason?: released}, `started` {attempt, lease}, `retrying` {error}, `handed-back`
 *   {error}, `deferred`, `done` {usage "<in>,<out>,<cacheRead>,<cacheWrite>", costMicroUsd, cache, model, route
 *   "<provider>|<tier>|<source>|<reason>" (a budget downgrade shows in its tier and reason)},
 *   `failed` {error, policy}, `skipped` {upstream}, `cancelled`, `repair` {reason} (the sweeper re-offered it),
 *   `expanded` {items} (a map node added its children `<map>[i]` and waits for them: lua/expand-map.ts),
 *   `waiting` {deadline (ms, '' for none), question} (parked: lua/park-node.ts), `signal` {outcome: done | failed,
 *   source: signal | timeout} (a parked node's end decided: lua/resolve-parked.ts; `running` until its `done` or
 *   `failed` follows).
 */

/** Every event type the transition scripts emit. */
export const RUN_EVENT_TYPES = [
  "run-started",
  "queued",
  "started",
  "retrying",
  "handed-back",
  "deferred",
  "waiting",
  "signal",
  "done",
  "failed",
  "skipped",
  "cancelled",
  "repair",
  "expanded",
  "cancel",
  "retry",
  "rerun",
  "run-finished",
] as const;

/** One of {@link RUN_EVENT_TYPES}. */
export type RunEventType = (typeof RUN_EVENT_TYPES)[number];

/** The node events that end a node's try. */
export const TERMINAL_EVENT_TYPES: ReadonlySet<string> = new Set(["done", "failed", "skipped", "cancelled"]);

/** One entry of a run's event log: its stream id, its type, its node ('' for a run event) and its other fields. */
export interface RunEvent {
  /** Redis stream id `<ms>-<seq>` (the ms are Redis' clock when the transition ran). */
  id: string;
  type: string;
  node: string;
  fields: Record<string, string>;
}

/** Cap of a run's event log when its meta has none (a run started before the cap was stored). */
export const DEFAULT_EVENT_CAP = 10_000;

/** Largest event log cap (a map's expansion raises a run's cap by 32 per child up to it: lua/expand-map.ts). */
export const MAX_EVENT_CAP = 200_000;

/**
 * The cap (approximate `MAXLEN`) of the event log of a run of `nodeCount` nodes: room for 32 events per node (a node
 * takes 3 in the common case: queued, started, done; retries, retries of the run and repairs add more) plus 1,000,
 * at most 200,000. Stored in meta `eventCap` at start.
 */
export function eventCap(nodeCount: number): number {
  return Math.min(MAX_EVENT_CAP, 1_000 + 32 * Math.max(0, nodeCount));
}

const STREAM_ID = /^(\d{1,20})-(\d{1,20})$/;

/** Whether `id` is a stream id `<ms>-<seq>` (what `Last-Event-ID` must be). */
export function isStreamId(id: string): boolean {
  return STREAM_ID.test(id);
}

/**
 * The smallest stream id after `id`, for an exclusive XRANGE start that works on every Redis (the `(` prefix needs
 * Redis 6.2 and the in-memory store lacks it).
 * @throws Error when `id` is not a stream id.
 */
export function nextStreamId(id: string): string {
  const m = STREAM_ID.exec(id);
  if (!m) throw new Error(`not a stream id: ${id}`);
  return `${m[1]}-${(BigInt(m[2] ?? "0") + 1n).toString()}`;
}

/** The ms part of a stream id (Redis' clock when the event was written), or NaN. */
export function streamIdMs(id: string): number {
  const m = STREAM_ID.exec(id);
  return m ? Number(m[1]) : Number.NaN;
}

/**
 * Parses an XRANGE reply into events. Accepts Redis' raw shape `[[id, [field, value, …]], …]` and the object shape
 * `{id: {field: value}}` some clients return.
 */
export function parseXrange(raw: unknown): RunEvent[] {
  if (raw == null) return [];
  const entries: [string, Record<string, string>][] = [];
  if (Array.isArray(raw)) {
    for (const item of raw) {
      if (!Array.isArray(item)) continue;
      const [id, flat] = item as [unknown, unknown];
      const fields: Record<string, string> = {};
      if (Array.isArray(flat))
        for (let i = 0; i + 1 < flat.length; i += 2) fields[String(flat[i])] = String(flat[i + 1]);
      else if (flat && typeof flat === "object")
        for (const [k, v] of Object.entries(flat as Record<string, unknown>)) fields[k] = String(v);
      entries.push([String(id), fields]);
    }
  } else if (typeof raw === "object") {
    for (const [id, f] of Object.entries(raw as Record<string, Record<string, unknown>>)) {
      entries.push([id, Object.fromEntries(Object.entries(f ?? {}).map(([k, v]) => [k, String(v)]))]);
    }
  }
  return entries.map(([id, all]) => {
    const { type = "", node = "", ...fields } = all;
    return { id, type, node, fields };
  });
}

/**
 * An event as the API sends it (`GET /v1/runs/:id/events`, one JSON `data:` per event): `id`, `type`, `node` (absent
 * for a run event), then the type's fields with numbers as numbers (`attempt`, `try`, `nodes` as a list of ids,
 * `usage` as token counts, `costMicroUsd` integer micro-USD).
 */
export type RunEventBody = { id: string; type: string; node?: string } & Record<string, unknown>;

const NUMERIC_FIELDS = new Set(["attempt", "try", "costMicroUsd", "deadline"]);

/** Converts a stored event to its API form ({@link RunEventBody}). */
export function eventBody(e: RunEvent): RunEventBody {
  const body: RunEventBody = { id: e.id, type: e.type };
  if (e.node) body.node = e.node;
  for (const [k, v] of Object.entries(e.fields)) {
    if (NUMERIC_FIELDS.has(k)) body[k] = Number(v);
    else if (k === "nodes") body[k] = v === "" ? [] : v.split(",");
    else if (k === "usage") {
      const [inputTokens = 0, outputTokens = 0, cacheReadTokens = 0, cacheWriteTokens = 0] = v.split(",").map(Number);
      body[k] = { inputTokens, outputTokens, cacheReadTokens, cacheWriteTokens };
    } else body[k] = v;
  }
  return body;
}
