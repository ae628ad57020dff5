/**
 * zod schema of an agent profile stored in a tenant's registry (`PUT /v1/agents/:name`): the profile fields of
 * `agentProfileSchema` plus what the planner reads to choose agents: a `description` and `capabilities`.
 */
import { z } from "zod";
import { AGENT_NAME_RE, agentProfileSchema } from "./workflow.js";

/** A capability tag: lowercase letters, digits, `.`, `_`, `-`, 1..64 characters (e.g. `code-review`, `summarize`). */
export const CAPABILITY_RE = /^[a-z0-9][a-z0-9._-]{0,63}$/;

/**
 * A registered agent: `description` (1..2,000 characters, required: the planner reads it), `capabilities`
 * (0..32 distinct tags, default `[]`), an optional `name` that must equal the URL's, and the profile fields. Strict.
 */
export const registryAgentSchema = z.strictObject({
  name: z
    .string()
    .regex(AGENT_NAME_RE, { message: "agent name must match /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/" })
    .optional(),
  description: z.string().min(1).max(2000),
  capabilities: z
    .array(z.string().regex(CAPABILITY_RE, { message: "capability must match /^[a-z0-9][a-z0-9._-]{0,63}$/" }))
    .max(32)
    .refine((list) => new Set(list).size === list.length, { message: "capabilities must be distinct" })
    .default([]),
  ...agentProfileSchema.shape,
});

/** A parsed registry agent. */
export type RegistryAgent = z.output<typeof registryAgentSchema>;
