import type { CompiledDag } from "../dag/compile.js";

/**
 * Where a node's result advances the DAG: `inline`, in the node's own `/internal/execute` request before it answers;
 * or `callback`, where execute records the completion (`complete_node`, in the same Redis request as the output
 * blob) and answers with the nodes it took, and QStash's success callback (`/internal/callback`), sent once execute
 * has answered, publishes them.
 */
export type AdvanceSite = "inline" | "callback";

/**
 * Chooses where the nodes of a run advance the DAG.
 *
 * `inline` costs one QStash message per node instead of two (QStash charges a callback "as any other message":
 * upstash.com/docs/qstash/features/callbacks) and takes the callback's trip through the queue off every dependency
 * hop. But a QStash flow-control slot is free only once execute answers, so advancing inline holds the node's slot
 * for one more round trip (the publish; `complete_node` travels with the output's write either way). That matters
 * only when nodes wait for slots: then the run publishes in the callback, after the slot is free, and the message
 * the run state published ahead (prefetch.ts) starts at once. The rule, for a run that does not chain nodes:
 * `callback` when the run's concurrency is below its widest level (`dag.maxWidth`, the most nodes one level holds), where nodes surely wait for slots; `inline` otherwise, including every run whose
 * concurrency is at least its node count. The widest level is a proxy: nodes of different levels can also be ready
 * together, and such a run still advances correctly inline, only with slots held a little longer.
 *
 * Measured with `npm run bench -- --workloads airrflow,bwa --concurrency 4,16 --load-runs 0 --no-peer
 * --no-message-size --repeats 2 --budget-s 20` on one 2-core machine, 2026-11-21 (bench/results/2026-11-21-054742.*
 * with every run inline; 2026-11-21-055208.*, with viralrecon too, with this rule; README "Where the DAG advances,
 * measured"): bwa with 4
 * slots, where each slot's hand-over time counts, 1.17 × the list schedule advancing in the callback and 1.25
 * inline. bwa with 16 slots is the opposite case, 1.34 in the callback and 1.27 inline: there the local worker's one thread is the limit, and
 * advancing inline spends less of its CPU per node (2.5 ms against 3.5 on its busiest thread); on Cloudflare deliveries spread over
 * isolates, so the slot's hand-over time is what remains. Re-measured with wrangler's local observability collector
 * off (local/local-worker.ts), bwa alone, `--repeats 3`: 4 slots 1.17 with this rule and 1.26 inline, 16 slots 1.31
 * and 1.24 (bench/results/2026-11-21-070937.* and 071237.*): the same split. After execute began recording the
 * completion itself, with bwa alone on a slower machine: every run inline measured 1.31 with 4 slots and 1.36 with
 * 16 (082527.*), this rule 1.21 and 1.41 with one message ahead (081557.*) and 1.20 and 1.23 with two (082734.*;
 * prefetch.ts now keeps two ahead for 16 slots): the rule wins at both.
 *
 * A run whose deliveries chain nodes (delivery.ts; `nodesPerDelivery` > 1, the default) always advances `inline`:
 * its slot passes from node to node inside a delivery, it keeps no message ahead (prefetch.ts), so at a chain's end
 * the next message must be waiting when the slot frees, and only execute can publish it that early. With 4 nodes
 * per delivery and no message ahead, bwa measured 1.13 and 1.13 × the list schedule with 4 and 16 slots advancing
 * in the callback (bench/results/2026-11-21-103901.*) and 1.12 and 1.10 inline (104405.*; both `npm run bench --
 * --workloads srasearch,viralrecon,airrflow,bwa --concurrency 4,16 --load-runs 0 --no-peer --no-message-size
 * --repeats 3 --budget-s 20`), and inline needs no callback message. The figures above were measured before chains.
 *
 * Assumes QStash frees a flow-control slot when the destination answers, as the local emulator does. For queues,
 * Upstash documents that the next message waits for the current one's callbacks too (upstash-protocols.md B5); if
 * flow control behaved that way, the callback would hold the slot longer instead, and this rule would need
 * measuring against real QStash.
 * @param concurrency the run's effective parallelism (`runConcurrency`), ≥ 1.
 * @param chaining whether the run's deliveries chain nodes (chain-policy.ts `deliveryTimeoutMs` is not null).
 */
export function advanceSite(concurrency: number, dag: Pick<CompiledDag, "maxWidth">, chaining = false): AdvanceSite {
  if (chaining) return "inline";
  return concurrency < dag.maxWidth ? "callback" : "inline";
}
