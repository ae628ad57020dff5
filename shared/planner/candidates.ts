/**
 * What the planner may choose from: the tenant's registered agents and workflows plus the bundled ones it does not
 * override (agent discovery by description and capabilities; workflow match by description).
 */

/** Where a candidate comes from: the tenant's registry or the worker's bundled files. */
export type CandidateSource = "tenant" | "bundled";

/** An agent the planner may use: name, what it does, its capability tags. */
export interface CandidateAgent {
  name: string;
  /** Empty when a bundled agent has none. */
  description: string;
  capabilities: string[];
  source: CandidateSource;
}

/** A workflow the planner may propose as is. */
export interface CandidateWorkflow {
  name: string;
  /** Empty when the workflow has none (it can then only match by name). */
  description: string;
  source: CandidateSource;
}

/** Everything the planner sees, each list sorted by name. */
export interface PlanCandidates {
  agents: CandidateAgent[];
  workflows: CandidateWorkflow[];
}

/**
 * Merges the tenant's entries with the bundled ones: a tenant entry overrides a bundled entry of the same name (as
 * the registry does); sorted by name.
 */
export function mergeCandidates<T extends { name: string }>(tenant: readonly T[], bundled: readonly T[]): T[] {
  const taken = new Set(tenant.map((t) => t.name));
  return [...tenant, ...bundled.filter((b) => !taken.has(b.name))].sort((a, b) =>
    a.name < b.name ? -1 : a.name > b.name ? 1 : 0,
  );
}
