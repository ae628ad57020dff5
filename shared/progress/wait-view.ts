import { CONDITION_SOURCE } from "../dag/wait-condition.js";
import { parkInfo } from "../state/park-store.js";

/**
 * What the run view shows of a wait node (shared/engine/wait-node.ts): its rendered `question` (null before it
 * first waited), its `deadline` (ISO 8601; null when none is recorded) and, once a signal or its timeout decided it
 * in the current try, `signal`: `approved` (false: rejected), `source` (`signal`, `timeout`, or `condition` for a node
 * its `wait.when` let through) and when (ISO 8601). `asked`: true once it waited in the current try, false when its
 * `wait.when` was false and it completed without asking (shared/engine/wait-node.ts), null before either.
 */
export interface WaitView {
  question: string | null;
  deadline: string | null;
  signal: { approved: boolean; source: string; at: string } | null;
  asked: boolean | null;
}

/**
 * The {@link WaitView} of node `nodeId` from the run's meta fields (`parked:<id>`, `parkNote:<id>`, `resolved:<id>`:
 * shared/state/park-store.ts). Fields of an earlier try (another dispatch generation) are not shown.
 * @param meta the run's meta hash as read (raw strings).
 * @param generation the run's current dispatch generation (meta `generation`, else `createdAt`).
 */
export function buildWaitView(meta: Readonly<Record<string, string>>, nodeId: string, generation: number): WaitView {
  const parked = meta[`parked:${nodeId}`];
  const info = parked ? parkInfo(parked, meta[`parkNote:${nodeId}`] ?? "") : null;
  const current = info !== null && info.generation === generation;
  const [gen = "", outcome = "", source = "", at = ""] = (meta[`resolved:${nodeId}`] ?? "").split("|");
  const decidedNow = gen !== "" && Number(gen) === generation;
  return {
    question: info ? info.note : null,
    deadline: current && info.deadline !== null ? new Date(info.deadline).toISOString() : null,
    signal: decidedNow ? { approved: outcome === "done", source, at: new Date(Number(at)).toISOString() } : null,
    asked: decidedNow && source === CONDITION_SOURCE ? false : current ? true : null,
  };
}
