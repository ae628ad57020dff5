import { startRun } from "../shared/engine/start-run.js";
import type { Env } from "./env.js";
import { services } from "./services.js";
import { bundledWorkflow } from "./workflow-registry.js";

/** Tenant that owns runs started by cron triggers. */
export const CRON_TENANT = "cron";

/** Idempotency key of one cron firing for one workflow: a trigger delivered twice maps to one run. */
export function cronIdempotencyKey(cron: string, scheduledTime: number, workflow: string): string {
  return `cron:${cron}:${scheduledTime}:${workflow}`;
}

/**
 * The `scheduled` handler: starts every workflow that `CRON_WORKFLOWS` maps to the cron expression that fired.
 * Each start is idempotent on (cron, scheduled time, workflow), so a trigger delivered twice starts one run.
 * Needs `PUBLIC_URL` (there is no request to take the origin from).
 * @returns the run ids started (for tests and logs).
 * @throws Error when `PUBLIC_URL` is unset or a configured workflow is not bundled.
 */
export async function runScheduled(
  controller: Pick<ScheduledController, "cron" | "scheduledTime">,
  env: Env,
): Promise<string[]> {
  const { config, engine } = services(env);
  const due = config.cronWorkflows.filter((entry) => entry.cron === controller.cron);
  if (due.length === 0) return [];
  if (!config.publicUrl) throw new Error("PUBLIC_URL must be set for cron-triggered runs");
  const started: string[] = [];
  for (const entry of due) {
    const resolved = bundledWorkflow(entry.workflow);
    if (!resolved) throw new Error(`CRON_WORKFLOWS names unknown workflow "${entry.workflow}"`);
    const outcome = await startRun(engine, {
      tenant: CRON_TENANT,
      workflow: resolved.workflow,
      dag: resolved.dag,
      input: entry.input ?? {},
      simulate: null,
      idempotencyKey: cronIdempotencyKey(controller.cron, controller.scheduledTime, entry.workflow),
      trigger: `cron:${controller.cron}`,
      baseUrl: config.publicUrl,
    });
    started.push(outcome.runId);
  }
  return started;
}
