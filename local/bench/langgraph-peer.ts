/**
 * The LangGraph.js peer: the same DAG, with the same simulated latencies, executed in-process by
 * `@langchain/langgraph`'s StateGraph, and timed with the wall clock.
 *
 * One graph node per task sleeps the task's latency; a task with one dependency gets `addEdge(parent, child)`, a
 * task with several gets the multi-source `addEdge([parents…], child)`, whose join waits for every parent;
 * `START → roots`, `sinks → END`. LangGraph runs a Pregel/BSP loop: all nodes triggered in a superstep run in
 * parallel and their writes become visible only at the next superstep, so a node starts in the superstep after its
 * last parent's superstep: the join behaves as a barrier per level (LangGraph.js docs on supersteps;
 * upstream issue langchain-ai/langgraph #6320). No checkpointer is configured (the fastest setting).
 */

import { setTimeout as sleep } from "node:timers/promises";
import { Annotation, END, START, StateGraph } from "@langchain/langgraph";

/** One task of the peer's DAG: id, dependency ids (distinct) and the simulated latency in ms. */
export interface PeerTask {
  id: string;
  dependsOn: readonly string[];
  latencyMs: number;
}

/**
 * A finished LangGraph run: `makespanMs` from `invoke` to its return, per task start and finish (ms since the
 * invoke started), `executions` = how many node executions LangGraph performed (each task must run exactly once).
 */
export interface PeerRun {
  makespanMs: number;
  startMs: Record<string, number>;
  finishMs: Record<string, number>;
  executions: number;
}

/**
 * Builds the StateGraph for `tasks` and runs it once.
 * @param tasks the DAG (ids may contain any character: graph nodes are named `t0`, `t1`, … internally).
 * @param opts.maxConcurrency LangGraph's `maxConcurrency` (nodes run at once); default unlimited.
 * @param opts.supersteps upper bound of supersteps (LangGraph's `recursionLimit`); default tasks + 2.
 * @throws Error when a dependency names an unknown task, or LangGraph throws (e.g. GraphRecursionError).
 */
export async function runLangGraph(
  tasks: readonly PeerTask[],
  opts: { maxConcurrency?: number; supersteps?: number } = {},
): Promise<PeerRun> {
  const nameOf = new Map(tasks.map((t, i) => [t.id, `t${i}`]));
  const hasDependents = new Set(tasks.flatMap((t) => t.dependsOn));
  const State = Annotation.Root({
    executions: Annotation<number>({ reducer: (a, b) => a + b, default: () => 0 }),
  });
  const startMs: Record<string, number> = Object.create(null);
  const finishMs: Record<string, number> = Object.create(null);
  let t0 = 0;
  // The builder's node-name type grows with every addNode; the graph here is built from data, so use the loose form.
  const graph = new StateGraph(State) as unknown as LooseGraph;
  for (const t of tasks) {
    graph.addNode(nameOf.get(t.id)!, async () => {
      startMs[t.id] = performance.now() - t0;
      await sleep(t.latencyMs);
      finishMs[t.id] = performance.now() - t0;
      return { executions: 1 };
    });
  }
  const name = (id: string) => {
    const n = nameOf.get(id);
    if (!n) throw new Error(`unknown dependency "${id}"`);
    return n;
  };
  for (const t of tasks) {
    const self = name(t.id);
    const parents = t.dependsOn.map(name);
    if (parents.length === 0) graph.addEdge(START, self);
    else if (parents.length === 1) graph.addEdge(parents[0]!, self);
    else graph.addEdge(parents, self);
    if (!hasDependents.has(t.id)) graph.addEdge(self, END);
  }
  const app = graph.compile();
  t0 = performance.now();
  const out = (await app.invoke(
    {},
    {
      recursionLimit: opts.supersteps ?? tasks.length + 2,
      ...(opts.maxConcurrency ? { maxConcurrency: opts.maxConcurrency } : {}),
    },
  )) as { executions: number };
  const makespanMs = performance.now() - t0;
  return { makespanMs, startMs, finishMs, executions: out.executions };
}

/** The slice of StateGraph's builder API used here, with string node names. */
interface LooseGraph {
  addNode(name: string, fn: () => Promise<{ executions: number }>): LooseGraph;
  addEdge(from: string | string[], to: string): LooseGraph;
  compile(): { invoke(input: object, config: object): Promise<unknown> };
}
