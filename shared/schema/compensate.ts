/**
 * zod schema of a node's `compensate` step (saga compensation): the agent call that undoes or reports what the node
 * did when its run fails or is cancelled after the node finished (shared/dag/compensation.ts, docs/workflows.md
 * "Compensation").
 */
import { z } from "zod";
import { COMPLEXITIES } from "../routing/analyze-task.js";
import { durationSchema } from "./duration.js";

/** Largest compensation prompt, in characters (as a node prompt). */
const MAX_COMPENSATE_PROMPT_CHARS = 200_000;

/**
 * A compensation step. `prompt` is a template that may read the run input, `{{nodes.<self>.output}}` (the node it
 * compensates), the outputs of that node's ancestors, and `{{run.status}}` (`failed` or `cancelled`) and
 * `{{run.error}}` (why the run stopped). `agent` (default: the node's), `model` and `complexity` (routing, as on a
 * node), `retries` (0..10, default: the node's), `timeout` (default: the node's), `maxOutputTokens` and `simulate`
 * (simulated provider only). A compensation never reads or writes the result cache.
 */
export const compensateSchema = z.strictObject({
  prompt: z.string().min(1).max(MAX_COMPENSATE_PROMPT_CHARS),
  agent: z.string().min(1).max(64).optional(),
  model: z.string().min(1).max(128).optional(),
  complexity: z.enum(COMPLEXITIES).optional(),
  retries: z.number().int().min(0).max(10).optional(),
  timeout: durationSchema.optional(),
  maxOutputTokens: z.number().int().min(1).max(200_000).optional(),
  simulate: z
    .strictObject({
      latencyMs: z.number().int().min(0).max(7_200_000).optional(),
      failAttempts: z.number().int().min(0).max(100).optional(),
    })
    .optional(),
});

/** A parsed `compensate` block. */
export type CompensateStep = z.output<typeof compensateSchema>;
