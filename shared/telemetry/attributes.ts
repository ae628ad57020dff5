/**
 * Span attribute names. `gen_ai.*` are the OpenTelemetry semantic conventions for generative AI spans
 * (https://opentelemetry.io/docs/specs/semconv/gen-ai/gen-ai-spans/, status Development; `gen_ai.provider.name`
 * replaced `gen_ai.system` after v1.36.0, so both are set); `agent_dag.*` are ours (docs/tracing.md lists them).
 * No attribute ever carries a prompt or an output.
 */

/** GenAI semantic conventions (the operation is always `chat`: one model call). */
export const GEN_AI = {
  operationName: "gen_ai.operation.name",
  providerName: "gen_ai.provider.name",
  system: "gen_ai.system",
  requestModel: "gen_ai.request.model",
  responseModel: "gen_ai.response.model",
  requestMaxTokens: "gen_ai.request.max_tokens",
  requestTemperature: "gen_ai.request.temperature",
  inputTokens: "gen_ai.usage.input_tokens",
  outputTokens: "gen_ai.usage.output_tokens",
} as const;

/** agent-dag's own attributes. Costs in USD (float), tokens as billed, levels and attempts 1-based. */
export const AGENT_DAG = {
  runId: "agent_dag.run.id",
  runStatus: "agent_dag.run.status",
  workflow: "agent_dag.workflow.name",
  nodeId: "agent_dag.node.id",
  nodeKind: "agent_dag.node.kind",
  nodeLevel: "agent_dag.node.level",
  attempt: "agent_dag.node.attempt",
  sensitive: "agent_dag.node.sensitive",
  outcome: "agent_dag.node.outcome",
  lease: "agent_dag.lease",
  tier: "agent_dag.route.tier",
  reason: "agent_dag.route.reason",
  routeSource: "agent_dag.route.source",
  cacheOutcome: "agent_dag.cache.outcome",
  cacheSavedUsd: "agent_dag.cache.saved_usd",
  costUsd: "agent_dag.cost.usd",
  cacheReadTokens: "agent_dag.usage.cache_read_tokens",
  cacheWriteTokens: "agent_dag.usage.cache_write_tokens",
  budgetScopes: "agent_dag.budget.scopes",
  budgetNote: "agent_dag.budget.note",
  simulated: "agent_dag.simulated",
} as const;
