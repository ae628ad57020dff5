/**
 * Which runs and nodes a fault hit: the run ids a proxied request names (a Redis REST command's keys, a publish's
 * message body, an execute message, or a callback's base64 `sourceBody`), and, where the request is about one node
 * (an execute message, a callback, a publish or batch of execute messages), that node. The report then says which
 * fault kinds the runs and nodes with a problem went through. Correlation, not proof: a node may go through several
 * faults and only one mattered.
 */
import type { FaultCounts, FaultKind } from "./faults.js";

const RUN_ID_RE = /run_[0-9a-f]{26}/g;

/** A (run, node) an execute message names. */
export interface NodeRef {
  runId: string;
  nodeId: string;
}

function parse(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

function decodeBase64(text: string): string {
  return Buffer.from(text, "base64").toString("utf8");
}

function asNodeRef(x: unknown): NodeRef | null {
  if (typeof x !== "object" || x === null) return null;
  const { runId, nodeId } = x as { runId?: unknown; nodeId?: unknown };
  return typeof runId === "string" && typeof nodeId === "string" ? { runId, nodeId } : null;
}

/**
 * The nodes a request body is about: an execute message `{runId, nodeId}` (a delivery or a publish), a callback's
 * base64 `sourceBody` holding one, or a batch publish `[{body: "<execute message>"}, ...]`.
 */
export function nodesIn(body: string): NodeRef[] {
  const json = parse(body);
  const direct = asNodeRef(json);
  if (direct) return [direct];
  if (Array.isArray(json)) {
    return json.flatMap((m) => {
      const inner =
        typeof (m as { body?: unknown })?.body === "string" ? asNodeRef(parse((m as { body: string }).body)) : null;
      return inner ? [inner] : [];
    });
  }
  const source = (json as { sourceBody?: unknown } | undefined)?.sourceBody;
  if (typeof source === "string") {
    const inner = asNodeRef(parse(decodeBase64(source)));
    return inner ? [inner] : [];
  }
  return [];
}

/** The distinct run ids named in a request body, including inside a QStash callback's base64 `sourceBody`. */
export function runIdsIn(body: string): string[] {
  const ids = new Set(body.match(RUN_ID_RE) ?? []);
  for (const n of nodesIn(body)) ids.add(n.runId);
  return [...ids];
}

/** Faults per run id and per (run id, node id). */
export class FaultAttribution {
  readonly #byRun = new Map<string, FaultCounts>();
  readonly #byNode = new Map<string, FaultCounts>();

  static #add(map: Map<string, FaultCounts>, key: string, kind: FaultKind): void {
    const counts = map.get(key) ?? {};
    counts[kind] = (counts[kind] ?? 0) + 1;
    map.set(key, counts);
  }

  /** Records one fault of `kind` on every run `body` names, and on every node it is about. */
  record(kind: FaultKind, body: string): void {
    for (const id of runIdsIn(body)) FaultAttribution.#add(this.#byRun, id, kind);
    for (const n of nodesIn(body)) FaultAttribution.#add(this.#byNode, `${n.runId}/${n.nodeId}`, kind);
  }

  /** Records a fault that hits every run in flight (a worker kill). */
  recordAll(kind: FaultKind, runIds: Iterable<string>): void {
    for (const id of runIds) FaultAttribution.#add(this.#byRun, id, kind);
  }

  /** The faults recorded for `runId` (empty when none). */
  of(runId: string): FaultCounts {
    return { ...(this.#byRun.get(runId) ?? {}) };
  }

  /** The faults recorded for each node of `runId` that had any. */
  nodesOf(runId: string): Record<string, FaultCounts> {
    const out: Record<string, FaultCounts> = {};
    for (const [key, counts] of this.#byNode) {
      if (key.startsWith(`${runId}/`)) out[key.slice(runId.length + 1)] = { ...counts };
    }
    return out;
  }
}
