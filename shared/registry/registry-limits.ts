/**
 * Limits of the per-tenant registry (shared/registry/registry-store.ts). Ours, chosen so that one tenant's registry
 * stays small next to Upstash's free-tier database (256 MB): at most {@link MAX_REGISTRY_BYTES} of stored
 * definitions per tenant and kind, whatever the number of names and versions.
 */

/** Most names one tenant may register per kind (workflows, agents). A PUT of a new name beyond it gets 409. */
export const MAX_REGISTRY_ENTRIES = 100;

/** Versions kept per name: creating version n deletes version n − 20 (runs already started keep their copy). */
export const MAX_REGISTRY_VERSIONS = 20;

/** Largest stored workflow definition, in bytes of its canonical JSON (256 KiB). */
export const MAX_REGISTERED_WORKFLOW_BYTES = 256 * 1024;

/** Largest stored agent profile, in bytes of its canonical JSON (64 KiB: a 200,000-character system prompt does not fit;
 * such agents stay inline). */
export const MAX_REGISTERED_AGENT_BYTES = 64 * 1024;

/** Most bytes of stored definitions (every kept version) per tenant and kind (8 MiB). A PUT beyond it gets 409. */
export const MAX_REGISTRY_BYTES = 8 * 1024 * 1024;
