/**
 * Node kinds and the fields that belong to each (`kind` on a workflow node, default `"llm"`):
 * - `llm`: one agent call (the prompt rendered, routed, cached, budgeted);
 * - `map`: dynamic fan-out. `over` is a template that must resolve, at run time, to a JSON array (from the run input
 *   or an upstream structured output); the map expands into one child node per element, each an `llm` node built from
 *   the map node's own agent, prompt (which may read `{{item}}`, `{{item.<field>}}` and `{{index}}`) and settings.
 *   Nodes that depend on the map read the array of its children's outputs, in element order;
 * - `wait`: pauses its branch until `POST /v1/runs/:id/nodes/:node/signal` arrives or `wait.timeout` passes; its
 *   `prompt` is the question shown to whoever approves;
 * - `http`: one HTTP request QStash sends to an allowlisted endpoint (`http`: method, url, headers, body; http-node.ts),
 *   whose response becomes the node's output; `prompt` is optional (a description, never rendered).
 * `workflow` is reserved for sub-workflows and refused as "not supported yet".
 */
import { z } from "zod";
import { tryParseDurationMs } from "./duration.js";

/** The node kinds a workflow may use. */
export const NODE_KINDS = ["llm", "map", "wait", "http"] as const;

/** One of {@link NODE_KINDS}. */
export type NodeKind = (typeof NODE_KINDS)[number];

/** Kinds named in the design but not built yet: refused with "not supported yet" rather than "unknown kind". */
export const RESERVED_NODE_KINDS = ["workflow"] as const;

/**
 * Most elements one map node may expand into (ours; Vercel Workflow and Mastra `.foreach` document no lower
 * practical bound, and 1,000 keeps one expansion a single bounded Redis script). A map's own `maxItems` may lower it;
 * the run's node limit (`MAX_WORKFLOW_NODES`) counts the children too.
 */
export const MAX_MAP_ITEMS = 1000;

/** Longest a wait node may wait: 7 days in ms (ours: far beyond any approval, inside any sensible retention). */
export const MAX_WAIT_MS = 7 * 24 * 60 * 60 * 1000;

/** A wait timeout: a duration like a node timeout (`"30m"`, `"24h"`, `"2d"`), up to {@link MAX_WAIT_MS}. */
export const waitTimeoutSchema = z.union([z.number(), z.string()]).superRefine((value, ctx) => {
  const r = tryParseDurationMs(value, MAX_WAIT_MS);
  if (!r.ok) ctx.addIssue({ code: "custom", message: r.reason });
});

/** What a wait node does when its timeout passes with no signal: `fail` it, or take its `default` signal. */
export const WAIT_TIMEOUT_ACTIONS = ["fail", "default"] as const;

/**
 * A signal to a wait node (the body of `POST /v1/runs/:id/nodes/:node/signal`, and a wait node's `default`):
 * `approved` (default true; false fails the node as rejected) and an optional JSON `payload` that downstream
 * templates read as `{{nodes.<wait>.output.payload…}}`.
 */
export const waitSignalSchema = z.strictObject({
  approved: z.boolean().default(true),
  payload: z.unknown().optional(),
});

/** A parsed {@link waitSignalSchema}. */
export type WaitSignal = z.output<typeof waitSignalSchema>;

/**
 * A wait node's settings: `timeout` (a duration, at most {@link MAX_WAIT_MS}; required: nothing waits forever),
 * `onTimeout` (default `fail`) and `default` (the signal taken on timeout; required when `onTimeout` is `default`).
 */
export const waitSpecSchema = z
  .strictObject({
    timeout: waitTimeoutSchema,
    onTimeout: z.enum(WAIT_TIMEOUT_ACTIONS).default("fail"),
    default: waitSignalSchema.optional(),
  })
  .superRefine((w, ctx) => {
    if (w.onTimeout === "default" && !w.default)
      ctx.addIssue({ code: "custom", path: ["default"], message: 'onTimeout "default" needs a default signal' });
  });

/** A parsed {@link waitSpecSchema}. */
export type WaitSpec = z.output<typeof waitSpecSchema>;

/** The error for a `kind` value that is not a {@link NodeKind}. */
export function nodeKindError(input: unknown): string {
  return (RESERVED_NODE_KINDS as readonly unknown[]).includes(input)
    ? `kind "${String(input)}" is not supported yet`
    : `kind must be one of ${NODE_KINDS.map((k) => `"${k}"`).join(", ")}`;
}

/** The kind-specific fields of a node, for {@link kindFieldIssues}. */
export interface KindFields {
  kind: NodeKind;
  prompt?: string | undefined;
  over?: string | undefined;
  maxItems?: number | undefined;
  wait?: unknown;
  http?: unknown;
  output?: unknown;
  compensate?: unknown;
}

/**
 * Which kind-specific fields a node is missing or must not have: a map needs `over`; a wait node needs `wait`
 * (with its timeout) and takes no `output` schema or `compensate`; `over`, `maxItems` and `wait` belong to their
 * kinds only; every node but an http node needs a `prompt`; an http node needs `http` (its request), which belongs to http nodes only. Each issue is `{ path, message }`,
 * the path relative to the node.
 */
export function kindFieldIssues(node: KindFields): { path: string[]; message: string }[] {
  const issues: { path: string[]; message: string }[] = [];
  if (node.kind !== "http" && node.prompt === undefined)
    issues.push({ path: ["prompt"], message: `a ${node.kind} node needs a prompt` });
  if (node.kind === "map" && node.over === undefined)
    issues.push({ path: ["over"], message: 'a map node needs "over": a template that resolves to a JSON array' });
  if (node.kind !== "map" && node.over !== undefined)
    issues.push({ path: ["over"], message: '"over" belongs to map nodes only' });
  if (node.kind !== "map" && node.maxItems !== undefined)
    issues.push({ path: ["maxItems"], message: '"maxItems" belongs to map nodes only' });
  if (node.kind === "wait" && node.wait === undefined)
    issues.push({ path: ["wait"], message: 'a wait node needs "wait": { "timeout": … }' });
  if (node.kind !== "wait" && node.wait !== undefined)
    issues.push({ path: ["wait"], message: '"wait" belongs to wait nodes only' });
  if (node.kind === "wait" && node.output !== undefined)
    issues.push({ path: ["output"], message: "a wait node's output is its signal; it takes no output schema" });
  if (node.kind === "wait" && node.compensate !== undefined)
    issues.push({ path: ["compensate"], message: "a wait node has nothing to compensate" });
  if (node.kind === "http" && node.http === undefined)
    issues.push({ path: ["http"], message: 'an http node needs "http": { "url": … }' });
  if (node.kind !== "http" && node.http !== undefined)
    issues.push({ path: ["http"], message: '"http" belongs to http nodes only' });
  return issues;
}
