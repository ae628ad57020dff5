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
 *   whose response becomes the node's output; `prompt` is optional (a description, never rendered);
 * - `workflow`: starts a bundled or registered workflow as a child run (`workflow`: name, version, input templates;
 *   workflow-node.ts) and ends as it ends: its output is the child's sink outputs; `prompt` is optional (a
 *   description, never rendered).
 */
import { z } from "zod";
import { tryParseDurationMs } from "./duration.js";

/** The node kinds a workflow may use. */
export const NODE_KINDS = ["llm", "map", "wait", "http", "workflow"] as const;

/** One of {@link NODE_KINDS}. */
export type NodeKind = (typeof NODE_KINDS)[number];

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

/** Longest `wait.when` reference, characters (ours: one `{{…}}` expression needs far less). */
export const MAX_WAIT_WHEN_CHARS = 2000;

/**
 * A field path inside each element of a `wait.when.any` array: `.`-separated names and `[n]` steps, without a
 * leading dot (`securityIssue`, `risk.high`, `flags[0]`): the path syntax of templates (shared/dag/template.ts).
 */
export const WAIT_WHEN_FIELD_RE = /^[A-Za-z0-9_$-]+(?:\.[A-Za-z0-9_$-]+|\[\d{1,9}\])*$/;

/**
 * When a wait node asks at all (`wait.when`; absent: always). Either one reference (`{{input.<path>}}` or
 * `{{nodes.<id>.output…}}` of an ancestor) that asks when it resolves to `true`, or `{ any, field }`: `any` one
 * reference to a JSON array, asking when the `field` of any element is `true`. False (every value read is `false`,
 * or the array is empty): the node completes at once without asking. Anything else (missing, not a boolean, not an
 * array) asks: an approval is never skipped on a value nobody can read. Evaluated by shared/dag/wait-condition.ts.
 */
export const waitConditionSchema = z.union([
  z.string().min(1).max(MAX_WAIT_WHEN_CHARS),
  z.strictObject({
    any: z.string().min(1).max(MAX_WAIT_WHEN_CHARS),
    field: z.string().max(256).regex(WAIT_WHEN_FIELD_RE, {
      message: "field must be a path such as securityIssue, risk.high or flags[0]",
    }),
  }),
]);

/** A parsed {@link waitConditionSchema}. */
export type WaitCondition = z.output<typeof waitConditionSchema>;

/**
 * A wait node's settings: `timeout` (a duration, at most {@link MAX_WAIT_MS}; required: nothing waits forever),
 * `onTimeout` (default `fail`), `default` (the signal taken on timeout; required when `onTimeout` is `default`) and
 * `when` (ask only when it holds: {@link waitConditionSchema}).
 */
export const waitSpecSchema = z
  .strictObject({
    timeout: waitTimeoutSchema,
    onTimeout: z.enum(WAIT_TIMEOUT_ACTIONS).default("fail"),
    default: waitSignalSchema.optional(),
    when: waitConditionSchema.optional(),
  })
  .superRefine((w, ctx) => {
    if (w.onTimeout === "default" && !w.default)
      ctx.addIssue({ code: "custom", path: ["default"], message: 'onTimeout "default" needs a default signal' });
  });

/** A parsed {@link waitSpecSchema}. */
export type WaitSpec = z.output<typeof waitSpecSchema>;

/** The error for a `kind` value that is not a {@link NodeKind}. */
export function nodeKindError(input: unknown): string {
  return `kind must be one of ${NODE_KINDS.map((k) => `"${k}"`).join(", ")} (got ${JSON.stringify(input)})`;
}

/** The kind-specific fields of a node, for {@link kindFieldIssues}. */
export interface KindFields {
  kind: NodeKind;
  prompt?: string | undefined;
  over?: string | undefined;
  maxItems?: number | undefined;
  wait?: unknown;
  http?: unknown;
  workflow?: unknown;
  output?: unknown;
  compensate?: unknown;
}

/**
 * Which kind-specific fields a node is missing or must not have: a map needs `over`; a wait node needs `wait`
 * (with its timeout) and takes no `output` schema or `compensate`; `over`, `maxItems` and `wait` belong to their
 * kinds only; every node but an http or workflow node needs a `prompt`; an http node needs `http` (its request), which
 * belongs to http nodes only; a workflow node needs `workflow` (its child), which belongs to workflow nodes only and
 * takes no `output` schema (its output is its child's sink outputs). Each issue is `{ path, message }`,
 * the path relative to the node.
 */
export function kindFieldIssues(node: KindFields): { path: string[]; message: string }[] {
  const issues: { path: string[]; message: string }[] = [];
  if (node.kind !== "http" && node.kind !== "workflow" && node.prompt === undefined)
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
  if (node.kind === "workflow" && node.workflow === undefined)
    issues.push({ path: ["workflow"], message: 'a workflow node needs "workflow": { "name": … }' });
  if (node.kind !== "workflow" && node.workflow !== undefined)
    issues.push({ path: ["workflow"], message: '"workflow" belongs to workflow nodes only' });
  if (node.kind === "workflow" && node.output !== undefined)
    issues.push({
      path: ["output"],
      message: "a workflow node's output is its child run's sink outputs; it takes no output schema",
    });
  return issues;
}
