import { ProviderError } from "../providers/provider.js";
import type { Engine } from "./engine.js";
import type { NodeReads } from "./execute-node.js";
import type { LoadedRun } from "./run-cache.js";

/** What a node's templates read: the run input (parsed JSON, `{}` when the node reads none) and upstream outputs. */
export interface UpstreamContext {
  input: unknown;
  /** Upstream node id -> its output text, for every node the templates of `nodeId` read. */
  outputs: Record<string, string>;
}

/**
 * Reads what node `nodeId`'s templates read (run-cache.ts `reads`): its upstream outputs by ref (those in `known`, a
 * chain's texts by ref, are not read again: one `getMany` for the rest) and the run input its delivery read
 * alongside the claim (execute-node.ts `readAlongside`). Shared by llm, wait and workflow nodes.
 * @param refs output refs of the upstream nodes, as the claim (or `readRefs`) returned them.
 * @throws ProviderError `non-retryable` when an upstream output is missing or has expired, or the run input has
 *   expired; the blob store's error when Redis fails.
 */
export async function readUpstream(
  engine: Engine,
  run: LoadedRun,
  nodeId: string,
  refs: Readonly<Record<string, string>>,
  inputs: NodeReads,
  known: ReadonlyMap<string, string>,
): Promise<UpstreamContext> {
  const upstream = run.reads.get(nodeId)?.nodes ?? [];
  const missing = upstream.filter((id) => !refs[id]);
  if (missing.length > 0) throw new ProviderError("non-retryable", `upstream output missing for ${missing.join(", ")}`);
  if (inputs.inputText === null) throw new ProviderError("non-retryable", "run input has expired");
  const toRead = upstream.filter((id) => !known.has(refs[id] as string));
  const read = toRead.length > 0 ? await engine.blobs.getMany(toRead.map((id) => refs[id] as string)) : [];
  if (read.some((t) => t == null)) throw new ProviderError("non-retryable", "an upstream output has expired");
  const fetched = new Map(toRead.map((id, i) => [id, read[i] as string]));
  const outputs = Object.fromEntries(
    upstream.map((id) => [id, fetched.get(id) ?? (known.get(refs[id] as string) as string)]),
  );
  return { input: inputs.inputText === undefined ? {} : (JSON.parse(inputs.inputText) as unknown), outputs };
}
