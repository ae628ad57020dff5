/**
 * zod schema of a workflow definition (the JSON users submit inline to `POST /v1/runs` or store under a name), and
 * the TypeScript types of a parsed definition. Shape, patterns, limits and defaults follow the agent-dag contract
 * ("Workflow definition (JSON)").
 *
 * Objects are strict: an unknown key (e.g. a misspelled `dependson`) is rejected rather than silently dropped.
 * The parsed value keeps the definition's own shape (defaults filled in, durations left as written), so it can be
 * stored and parsed again. Graph rules (unique ids, known dependencies, no cycles), agent references and template
 * references are checked afterwards by `shared/dag/validate.ts`.
 *
 * A workflow file may name its JSON Schema in `$schema` (workflows/workflow.schema.json, generated from this file by
 * `npm run schema`), so editors complete and check it; the key is accepted and kept, and means nothing to the engine.
 */
import { z } from "zod";
import { runBudgetSchema } from "../budget/budget-spec.js";
import { COMPLEXITIES } from "../routing/analyze-task.js";
import { PROVIDER_NAME_RE } from "../routing/tier-map.js";
import { compensateSchema } from "./compensate.js";
import { durationSchema, ttlSchema } from "./duration.js";
import { httpDescription, httpSpecSchema } from "./http-node.js";
import { kindFieldIssues, MAX_MAP_ITEMS, NODE_KINDS, nodeKindError, waitSpecSchema } from "./node-kinds.js";
import { nodeOutputSchema } from "./output-schema.js";
import { subWorkflowDescription, subWorkflowSpecSchema } from "./workflow-node.js";

/** Workflow name pattern: lowercase letters, digits and dashes, 1..64 chars, not starting with a dash. */
export const WORKFLOW_NAME_RE = /^[a-z0-9][a-z0-9-]{0,63}$/;

/**
 * Node id pattern: 1..128 chars of letters, digits, `_`, `.`, `-`, not starting with `.` or `-`
 * (real workload ids such as `NFCORE_VIRALRECON.ILLUMINA.MULTIQC` contain dots).
 */
export const NODE_ID_RE = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/;

/** Agent name pattern (keys of `agents`): 1..64 chars of letters, digits, `_`, `.`, `-`, starting with a letter or digit. */
export const AGENT_NAME_RE = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/;

/**
 * Agent of a node that names none: a neutral assistant profile, bundled as `workflows/agents/assistant.json`
 * (functions/agent-registry.ts adds it; an inline agent of the same name wins). It sets no model, so the node's
 * tier is chosen by routing like any `"auto"` agent.
 */
export const DEFAULT_AGENT_NAME = "assistant";

/** Largest `$schema` value accepted (a URL or relative path of the file's JSON Schema), in characters. */
export const MAX_SCHEMA_REF_CHARS = 2048;

/**
 * Default largest number of nodes in one workflow (contract: 1..1000 nodes). A deployment may raise it with
 * `MAX_WORKFLOW_NODES` up to {@link NODE_LIMIT_CEILING} (functions/env.ts); validateWorkflow applies it.
 */
export const MAX_NODES = 1000;

/**
 * Hard ceiling of `MAX_WORKFLOW_NODES`: the schema never accepts more nodes than this. 5,000 nodes keep a
 * definition well under the 1 MiB body limit at typical node sizes and `start_run` (one Lua call over every node)
 * in the tens of milliseconds.
 */
export const NODE_LIMIT_CEILING = 5000;

/** Default per-run parallelism (QStash flow-control parallelism), contract default. */
export const DEFAULT_CONCURRENCY = 5;

/** Default retries per node (QStash `Upstash-Retries`), contract default. */
export const DEFAULT_RETRIES = 3;

/** Default node timeout as written in definitions (120 s), contract default. */
export const DEFAULT_TIMEOUT = "120s";

/** Largest `retries` value (contract: int 0..10). */
export const MAX_RETRIES = 10;

/** Largest prompt or system prompt, in characters (ours; request bodies are capped at 1 MiB anyway). */
export const MAX_PROMPT_CHARS = 200_000;

/** Largest `maxOutputTokens` accepted (ours; providers cap lower per model). */
export const MAX_OUTPUT_TOKENS_LIMIT = 200_000;

const retriesSchema = z.number().int().min(0).max(MAX_RETRIES);
const maxOutputTokensSchema = z.number().int().min(1).max(MAX_OUTPUT_TOKENS_LIMIT);

/**
 * An agent profile: system prompt, `provider` (a name in config `PROVIDERS`; default config `DEFAULT_PROVIDER`),
 * `model` (`"auto"` or absent: routed by task analysis; a tier `fast|balanced|deep`; `"<provider>:<tier>"`; or a
 * concrete model id), a `complexity` hint for routing, default output limit (tokens) and sampling temperature (0..2,
 * the widest range providers accept).
 */
export const agentProfileSchema = z.strictObject({
  system: z.string().max(MAX_PROMPT_CHARS).optional(),
  provider: z
    .string()
    .regex(PROVIDER_NAME_RE, { message: "provider must match /^[a-z0-9][a-z0-9-]{0,63}$/" })
    .optional(),
  model: z.string().min(1).max(128).optional(),
  complexity: z.enum(COMPLEXITIES).optional(),
  maxOutputTokens: maxOutputTokensSchema.optional(),
  temperature: z.number().min(0).max(2).optional(),
});

/** Default time a cached node result lives (`cacheTtl`): one hour. */
export const DEFAULT_CACHE_TTL = "1h";

/** Allowed cache tag names (used in Redis hash fields and query strings). */
export const CACHE_TAG_RE = /^[A-Za-z0-9_.:-]{1,64}$/;

/** Largest simulated output, in bytes (2 MB): room for the 1 MB outputs of the message-size benchmark. */
export const MAX_SIMULATED_OUTPUT_BYTES = 2_000_000;

/**
 * Simulated-provider knobs of a node: `latencyMs` (ms the simulated call takes, 0..2 h), `failAttempts` (how
 * many first attempts fail before one succeeds) and `outputBytes` (pad the output to this many bytes, for
 * benchmarks of message size against output size; at most {@link MAX_SIMULATED_OUTPUT_BYTES}).
 */
export const simulateSchema = z.strictObject({
  latencyMs: z.number().int().min(0).max(7_200_000).optional(),
  failAttempts: z.number().int().min(0).max(100).optional(),
  outputBytes: z.number().int().min(0).max(MAX_SIMULATED_OUTPUT_BYTES).optional(),
});

/**
 * What a node's failure for good (retries exhausted, or a non-retryable error) does to the rest of its run:
 * `skip-dependents` (default: its descendants are skipped, independent branches finish, the run ends `failed`),
 * `fail-fast` (every other unfinished node is cancelled at once and the run ends `failed`) or `continue` (its
 * dependents run and read `[FAILED: <error>]` as its output; the run does not fail because of it).
 */
export const FAILURE_POLICIES = ["skip-dependents", "fail-fast", "continue"] as const;

/** One of {@link FAILURE_POLICIES}. */
export type FailurePolicy = (typeof FAILURE_POLICIES)[number];

/**
 * One node. `agent` defaults to {@link DEFAULT_AGENT_NAME}; `kind` (node-kinds.ts) defaults to `"llm"`: `"map"` expands
 * at run time into one child per element of `over` (at most `maxItems`), `"wait"` pauses until a signal or its
 * `wait.timeout`, `"http"` sends its `http` request (http-node.ts; `prompt` optional, a description never rendered,
 * default `"<METHOD> <url>"`); `"workflow"` runs its `workflow` (workflow-node.ts) as a child run (`prompt` optional,
 * default `"workflow <name>"`). `dependsOn` defaults to `[]` (duplicates collapsed).
 * `retries`, `timeout`, `maxOutputTokens` override the workflow defaults / the agent's values; `model` (same forms
 * as the agent's) and `complexity` override the agent's for routing: an explicit model or tier always wins.
 * `cache` (default: the workflow's, else true), `cacheTtl` (default: the workflow's, else 1 h) and `cacheTags`
 * (for invalidation by tag) control the result cache; `sensitive: true` stores the node's output (and cache entry)
 * encrypted at rest; `onFailure` overrides the workflow's failure policy for this node; `compensate` is the step
 * that undoes the node's work when its run fails or is cancelled after the node finished (compensate.ts); `output`
 * (`{ schema }`) asks for structured output matching a JSON Schema (output-schema.ts).
 */
export const workflowNodeSchema = z
  .strictObject({
    id: z.string().regex(NODE_ID_RE, {
      message: "node id must match /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/",
    }),
    kind: z.enum(NODE_KINDS, { error: (iss) => nodeKindError(iss.input) }).default("llm"),
    agent: z.string().min(1).max(64).default(DEFAULT_AGENT_NAME),
    prompt: z.string().min(1).max(MAX_PROMPT_CHARS).optional(),
    dependsOn: z.array(z.string().min(1).max(128)).max(NODE_LIMIT_CEILING).default([]),
    retries: retriesSchema.optional(),
    timeout: durationSchema.optional(),
    maxOutputTokens: maxOutputTokensSchema.optional(),
    model: z.string().min(1).max(128).optional(),
    complexity: z.enum(COMPLEXITIES).optional(),
    cache: z.boolean().optional(),
    cacheTtl: ttlSchema.optional(),
    cacheTags: z
      .array(z.string().regex(CACHE_TAG_RE, { message: "cache tag must match /^[A-Za-z0-9_.:-]{1,64}$/" }))
      .max(16)
      .optional(),
    sensitive: z.boolean().optional(),
    onFailure: z.enum(FAILURE_POLICIES).optional(),
    simulate: simulateSchema.optional(),
    compensate: compensateSchema.optional(),
    output: nodeOutputSchema.optional(),
    over: z.string().min(1).max(MAX_PROMPT_CHARS).optional(),
    maxItems: z.number().int().min(0).max(MAX_MAP_ITEMS).optional(),
    wait: waitSpecSchema.optional(),
    http: httpSpecSchema.optional(),
    workflow: subWorkflowSpecSchema.optional(),
  })
  .superRefine((node, ctx) => {
    for (const issue of kindFieldIssues(node)) ctx.addIssue({ code: "custom", ...issue });
  })
  // `prompt` is required of every kind but http and workflow (kindFieldIssues); such a node without one gets its
  // description, so
  // the parsed node's prompt is always a string and a parsed definition parses again unchanged
  .transform(({ prompt, ...node }) => ({
    ...node,
    prompt:
      prompt ?? (node.http ? httpDescription(node.http) : node.workflow ? subWorkflowDescription(node.workflow) : ""),
  }));

/**
 * Scheduling modes: `eager` (default: a node is dispatched the moment its own dependencies are done), `levels`
 * (a node waits until every node of the previous levels is done: the classic wave executor, kept for
 * comparison) and `sequential` (one node at a time, the baseline). In every mode, when more nodes are ready than
 * the run's slots allow, the one with the longest remaining path goes first.
 */
export const RUN_MODES = ["eager", "levels", "sequential"] as const;

/** Workflow-wide defaults for nodes: `retries` (default 3) and `timeout` (default `"120s"`). */
export const workflowDefaultsSchema = z.strictObject({
  retries: retriesSchema.default(DEFAULT_RETRIES),
  timeout: durationSchema.default(DEFAULT_TIMEOUT),
});

/** Most nodes one QStash delivery may run back to back (shared/engine/delivery.ts): the workflow field's ceiling. */
export const MAX_NODES_PER_DELIVERY = 64;

/**
 * The workflow definition. `concurrency` (int 1..1000, default 5) is the per-run parallelism (QStash flow control
 * keeps at most that many nodes running; a run without chains publishes ⌈concurrency / 8⌉ more, so a freed slot
 * is refilled at once: shared/state/prefetch.ts); `nodesPerDelivery` (int 1..{@link MAX_NODES_PER_DELIVERY}; absent:
 * the default of shared/engine/chain-policy.ts) is how many nodes one delivery may run back to back, going on with
 * the highest-priority node each completion released (1 turns that off); `mode` is the scheduling mode (see
 * {@link RUN_MODES}); `agents` (default `{}`) holds inline profiles, and a node may also name a bundled one;
 * `nodes` holds 1..{@link NODE_LIMIT_CEILING} nodes here; the deployment's own limit (default {@link MAX_NODES})
 * is applied by validateWorkflow; `onFailure` (default `skip-dependents`, a node's own overrides it) is the failure
 * policy ({@link FAILURE_POLICIES}). `$schema` (optional) names the file's JSON Schema for editors.
 */
export const workflowDefinitionSchema = z.strictObject({
  $schema: z.string().max(MAX_SCHEMA_REF_CHARS).optional(),
  name: z.string().regex(WORKFLOW_NAME_RE, { message: "name must match /^[a-z0-9][a-z0-9-]{0,63}$/" }),
  version: z.string().min(1).max(64).optional(),
  description: z.string().max(4000).optional(),
  concurrency: z.number().int().min(1).max(1000).default(DEFAULT_CONCURRENCY),
  mode: z.enum(RUN_MODES).default("eager"),
  nodesPerDelivery: z.number().int().min(1).max(MAX_NODES_PER_DELIVERY).optional(),
  cache: z.boolean().default(true),
  cacheTtl: ttlSchema.default(DEFAULT_CACHE_TTL),
  budget: runBudgetSchema.optional(),
  onFailure: z.enum(FAILURE_POLICIES).optional(),
  defaults: workflowDefaultsSchema.default({ retries: DEFAULT_RETRIES, timeout: DEFAULT_TIMEOUT }),
  agents: z
    .record(
      z.string().regex(AGENT_NAME_RE, { message: "agent name must match /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/" }),
      agentProfileSchema,
    )
    .default({}),
  nodes: z
    .array(workflowNodeSchema)
    .min(1, { message: "a workflow needs at least one node" })
    .max(NODE_LIMIT_CEILING, { message: `a workflow has at most ${NODE_LIMIT_CEILING} nodes` }),
});

/** A parsed, schema-valid workflow definition (defaults filled in). Graph validity is not implied. */
export type WorkflowDefinition = z.output<typeof workflowDefinitionSchema>;

/** A workflow definition as written by users (before defaults). */
export type WorkflowDefinitionInput = z.input<typeof workflowDefinitionSchema>;

/** A parsed node of a workflow definition. */
export type WorkflowNode = z.output<typeof workflowNodeSchema>;

/** A parsed agent profile (value of `agents[name]`). */
export type AgentProfile = z.output<typeof agentProfileSchema>;

/** A parsed `simulate` block of a node. */
export type NodeSimulation = z.output<typeof simulateSchema>;
