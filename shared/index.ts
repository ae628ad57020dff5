/**
 * The public entry of agent-dag's engine, for an embedder that runs it in a Worker (or any fetch-capable runtime)
 * of its own: build an {@link Engine} from the stores, queue and providers below, validate a workflow, start runs,
 * hand QStash's deliveries and callbacks to the engine, and read a run's view. Re-exports only: each name lives in
 * the module it comes from, and functions/ (this repository's own Worker) is one such embedder.
 */

// Errors: problem details (RFC 9457) for HTTP answers, and the errors the engine's steps throw.
export {
  BlobDecryptionError,
  BlobEncryptionUnavailableError,
  BlobFormatError,
  BlobTooLargeError,
  isPermanentBlobError,
} from "./blobs/blob-errors.js";
// Engine construction: the engine is a plain object of these parts (functions/services.ts builds one).
export type { BlobStoreOptions } from "./blobs/blob-store.js";
export { BlobStore } from "./blobs/blob-store.js";
export { BudgetExceededError } from "./budget/budget-error.js";
// Run types: what the run store keeps and returns.
export type { RunBudget, TenantBudgets } from "./budget/budget-spec.js";
export type { BudgetStoreOptions } from "./budget/budget-store.js";
export { BudgetStore } from "./budget/budget-store.js";
export type { CacheStoreOptions } from "./cache/cache-store.js";
export { CacheStore } from "./cache/cache-store.js";
export { EncryptionKeyring } from "./crypto/keyring.js";
export { DagError } from "./dag/dag-error.js";
// Workflow schema and validation: the zod schemas, the validator (422 problem details) and the DAG compiler.
export type { CompiledDag } from "./dag/types.js";
export type { WorkflowValidation } from "./dag/validate.js";
export { validateWorkflow } from "./dag/validate.js";
export { compileWorkflowDag } from "./dag/workflow-dag.js";
export type { AdvanceSite, Dispatcher, DispatchRun, ExecuteMessage, NodeDispatch } from "./dispatch/dispatcher.js";
export { QStashDispatcher } from "./dispatch/dispatcher.js";
// QStash's deliveries and callbacks (`/internal/execute`, `/internal/callback`, `/internal/failure`).
export type { AdvanceOutcome, DeliveryReport } from "./engine/advance.js";
export { advance, errorMessage, fail, NON_RETRYABLE_STATUS, publishTaken } from "./engine/advance.js";
export type { AttemptFailure } from "./engine/attempt-failure.js";
export { attemptFailure } from "./engine/attempt-failure.js";
export type { DeliveryMessage, DeliveryOutcome } from "./engine/delivery.js";
export { runDelivery } from "./engine/delivery.js";
export type { BudgetConfig, Engine, EngineConfig, RoutingConfig } from "./engine/engine.js";
// A run's view (`GET /runs/:id`): its snapshot from the run store, its DAG from the run cache.
export type { LoadedRun } from "./engine/run-cache.js";
export { loadRun } from "./engine/run-cache.js";
// Starting a run (`POST /runs`): validate the workflow, then start it; idempotent on the idempotency key.
export type { StartRunOutcome, StartRunRequest } from "./engine/start-run.js";
export { runIdFor, startRun } from "./engine/start-run.js";
export type { ProblemDetails, ProblemFieldError } from "./errors/problem.js";
export { ProblemError, problem, problemResponse } from "./errors/problem.js";
export type { PriceTable } from "./pricing/prices.js";
export { DEFAULT_PRICES } from "./pricing/prices.js";
export type { LevelView, NodeView, RunView } from "./progress/run-view.js";
export { buildRunView } from "./progress/run-view.js";
// Providers: the `PROVIDERS` config, parsed and turned into providers by name (`simulated` always present).
export type { CreateProvidersOptions } from "./providers/factory.js";
export { createProviders } from "./providers/factory.js";
export type { GenerateRequest, GenerateResult, LlmProvider, TokenUsage } from "./providers/provider.js";
export { ProviderError } from "./providers/provider.js";
export type { ProviderEntry, ProvidersConfig } from "./providers/providers-config.js";
export { ProvidersConfigError, parseProvidersConfig, providersConfigSchema } from "./providers/providers-config.js";
export type { LlmClassifierOptions, TierCache, TierClassifier } from "./routing/classifier.js";
export { llmClassifier } from "./routing/classifier.js";
export type { TierMap } from "./routing/tier-map.js";
export { DEFAULT_TIER_MAP, parseTierMapJson } from "./routing/tier-map.js";
export type { TriggerBody } from "./schema/trigger.js";
export { triggerSchema } from "./schema/trigger.js";
export type { AgentProfile, WorkflowDefinition, WorkflowDefinitionInput, WorkflowNode } from "./schema/workflow.js";
export { workflowDefinitionSchema } from "./schema/workflow.js";
export type { RunMode, RunRedis } from "./state/run-store.js";
export { RunStore } from "./state/run-store.js";
export type { FrozenRun, NodeStatus, RunSnapshot, RunStatus } from "./state/run-types.js";
