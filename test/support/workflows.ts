/** A minimal valid node for inline test workflows (agent `a`, a prompt reading nothing). */
export function node(id: string, dependsOn: string[] = [], extra: Record<string, unknown> = {}) {
  return { id, agent: "a", prompt: `Do ${id}.`, dependsOn, ...extra };
}

/**
 * An inline workflow definition with one agent `a` and the given nodes. The result cache is off unless `extra`
 * turns it on, so tests that repeat a workflow measure the engine, not the cache.
 */
export function workflow(nodes: unknown[], extra: Record<string, unknown> = {}) {
  return {
    name: "test-flow",
    cache: false,
    agents: { a: { system: "You test.", model: "sim-fast" } },
    nodes,
    ...extra,
  };
}

/** The problem+json shape the API answers with. */
export interface Problem {
  type: string;
  title: string;
  status: number;
  detail: string;
  instance?: string;
  errors?: { pointer: string; node?: string; detail: string }[];
}
