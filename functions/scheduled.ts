import { startRun } from "../shared/engine/start-run.js";
import { sweep } from "../shared/engine/sweeper.js";
import { ProblemError } from "../shared/errors/problem.js";
import { unsafeDeploymentReasons } from "./deployment-safety.js";
import type { Env } from "./env.js";
import { resolveWorkflow } from "./resolve-workflow.js";
import { services } from "./services.js";

/** The cron expression that runs the sweeper (every minute); it must be one of wrangler.toml's `[triggers] crons`. */
export const SWEEPER_CRON = "* * * * *";

/** Tenant that owns runs started by cron triggers. */
export const CRON_TENANT = "cron";

/**
 * Idempotency key of one cron firing for one workflow: a trigger delivered twice maps to one run. Used in the
 * `scheduled` key space (shared/engine/start-run.ts), which API callers' `Idempotency-Key` headers cannot reach.
 */
export function cronIdempotencyKey(cron: string, scheduledTime: number, workflow: string): string {
  return `cron:${cron}:${scheduledTime}:${workflow}`;
}

/**
 * The `scheduled` handler: starts every workflow that `CRON_WORKFLOWS` maps to the cron expression that fired.
 * Each start is idempotent on (cron, scheduled time, workflow), so a trigger delivered twice starts one run; one
 * start failing does not stop the others. Needs `PUBLIC_URL` (there is no request to take the origin from).
 * @returns the run ids started (for tests and logs).
 * @throws Error when `PUBLIC_URL` is unset or the deploy is unsafe (functions/deployment-safety.ts); AggregateError, after trying every workflow, when some could not start
 *   (in neither the `cron` tenant's registry nor the bundled workflows, or the start failed).
 */
export async function runScheduled(
  controller: Pick<ScheduledController, "cron" | "scheduledTime">,
  env: Env,
): Promise<string[]> {
  const { config, engine, registry } = services(env);
  const due = config.cronWorkflows.filter((entry) => entry.cron === controller.cron);
  if (due.length === 0) return [];
  const unsafe = unsafeDeploymentReasons(config);
  if (unsafe.length > 0) throw new Error(`cron runs refused, this deploy is unsafe: ${unsafe.join("; ")}`);
  if (!config.publicUrl) throw new Error("PUBLIC_URL must be set for cron-triggered runs");
  const started: string[] = [];
  const failures: Error[] = [];
  for (const entry of due) {
    // the `cron` tenant's registry first, then the bundled workflows, as for a start by name
    const resolved = await resolveWorkflow(registry, CRON_TENANT, entry.workflow, undefined).catch((err: unknown) => {
      failures.push(
        err instanceof ProblemError
          ? new Error(`CRON_WORKFLOWS names unknown workflow "${entry.workflow}"`)
          : err instanceof Error
            ? err
            : new Error(String(err)),
      );
      return null;
    });
    if (!resolved) continue;
    const outcome = await startRun(engine, {
      tenant: CRON_TENANT,
      workflow: resolved.workflow,
      dag: resolved.dag,
      workflowRef: resolved.ref,
      input: entry.input ?? {},
      simulate: null,
      idempotencyKey: cronIdempotencyKey(controller.cron, controller.scheduledTime, entry.workflow),
      keySpace: "scheduled",
      trigger: `cron:${controller.cron}`,
      baseUrl: config.publicUrl,
    }).catch((err: unknown) => {
      failures.push(err instanceof Error ? err : new Error(String(err)));
      return null;
    });
    if (outcome) started.push(outcome.runId);
  }
  if (failures.length > 0) {
    const ids = started.length > 0 ? ` (started: ${started.join(" ")})` : "";
    throw new AggregateError(failures, `${failures.map((f) => f.message).join("; ")}${ids}`);
  }
  return started;
}

/**
 * The whole `scheduled` handler: on {@link SWEEPER_CRON} the sweeper (shared/engine/sweeper.ts), and on every
 * cron the workflows `CRON_WORKFLOWS` maps to it, isolated: one failing does not stop the other. Logs one line per
 * part.
 */
export async function handleScheduled(
  controller: Pick<ScheduledController, "cron" | "scheduledTime">,
  env: Env,
): Promise<void> {
  const parts: Promise<void>[] = [
    runScheduled(controller, env).then(
      (ids) => {
        if (ids.length > 0) console.log(`cron ${controller.cron}: started ${ids.length} run(s) ${ids.join(" ")}`);
      },
      (err: unknown) => console.error(`cron ${controller.cron}: starting workflows failed`, err),
    ),
  ];
  if (controller.cron === SWEEPER_CRON) {
    parts.push(
      Promise.resolve()
        .then(() => sweep(services(env).engine))
        .then(
          (r) =>
            console.log(
              `sweeper: looked at ${r.looked} run(s), ${r.repairs.length} repair(s), ${r.dropped.length} finished,` +
                ` ${r.errors.length} error(s)${r.errors.map((e) => ` [${e.runId}: ${e.error}]`).join("")}`,
            ),
          (err: unknown) => console.error("sweeper failed", err),
        ),
    );
  }
  await Promise.all(parts);
}
