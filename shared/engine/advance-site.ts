import type { CompiledDag } from "../dag/compile.js";
import type { AdvanceSite } from "../dispatch/dispatcher.js";

export type { AdvanceSite };

/**
 * Chooses where the nodes of a run advance the DAG (`AdvanceSite`, dispatcher.ts). `inline` costs one QStash
 * message per node instead of two (a callback is billed as a message: upstash.com/docs/qstash/features/callbacks)
 * and takes the callback's trip off every dependency hop, but holds the node's flow-control slot for one more round
 * trip (the publish), since QStash frees a slot only once execute answers. So: `callback` when the run's
 * concurrency is below its widest level (`dag.maxWidth`), where nodes surely wait for slots and the message
 * published ahead (prefetch.ts) starts at once; `inline` otherwise. The widest level is a proxy: a run whose levels
 * overlap still advances correctly inline, with slots held a little longer. A chaining run always advances inline:
 * it keeps no message ahead, so the next message must be waiting when a chain's slot frees, and only execute can
 * publish it that early. Assumes QStash frees a slot when the destination answers, as the local emulator does; if
 * it waited for the callbacks too, as documented for queues (docs/upstash-protocols.md B5), the callback would hold
 * the slot longer and this rule would need measuring against real QStash. Measurements: docs/performance.md.
 * @param concurrency the run's effective parallelism (`runConcurrency`), ≥ 1.
 * @param chaining whether the run's deliveries chain nodes (chain-policy.ts `deliveryTimeoutMs` is not null).
 */
export function advanceSite(concurrency: number, dag: Pick<CompiledDag, "maxWidth">, chaining = false): AdvanceSite {
  if (chaining) return "inline";
  return concurrency < dag.maxWidth ? "callback" : "inline";
}
