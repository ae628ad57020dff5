/**
 * `npm run chaos -- --runs N --seed S --concurrency C --deadline-s D --faults kind=rate,...`: the seeded
 * fault-injection suite (suite.ts). Prints a progress line per run to stderr, then one summary line and one detail
 * line per run with a problem to stdout, and what the cancel-and-retry run did. Exit code 0 when every run is
 * terminal by its deadline, lost nothing, counted every paid call exactly once (exactly, or at its reserved worst
 * case when its answer never reached the books), kept to its budget, and the cancelled run started no call after
 * its cancel and completed after its retry; 1 otherwise; 2 for bad arguments.
 */
import "../require-node.js";
import { guardShutdown } from "../signals.js";
import { CHAOS_USAGE, parseChaosArgs } from "./args.js";
import { compensationLine } from "./compensation-report.js";
import { eventFigures, eventReport, eventsClean } from "./event-audit.js";
import { runChaosSuite } from "./suite.js";
import { detailLines, faultsSeenBy, suiteFigures, summaryLine } from "./summary.js";

async function main(): Promise<number> {
  let args;
  try {
    args = parseChaosArgs(process.argv.slice(2));
  } catch (err) {
    process.stderr.write(`${err instanceof Error ? err.message : String(err)}\n${CHAOS_USAGE}\n`);
    return 2;
  }
  if (args.help) {
    process.stdout.write(`${CHAOS_USAGE}\n`);
    return 0;
  }
  const handle = runChaosSuite({
    ...args,
    redisUrl: process.env["REDIS_URL"] ?? "redis://127.0.0.1:6379",
    log: (line) => process.stderr.write(`${line}\n`),
  });
  guardShutdown(
    () => {
      process.stderr.write("\ninterrupted: stopping the worker and the stack, deleting the suite's keys\n");
      void handle.close().finally(() => process.exit(130));
    },
    () => process.exit(130),
  );
  const r = await handle.result;
  const figures = suiteFigures(r.audits, r.specs.filter((s) => s.budgetTokens !== null).length);
  process.stdout.write(
    `${summaryLine(figures, {
      seed: args.seed,
      faults: r.faults,
      restarts: r.restarts,
      elapsedMs: r.elapsedMs,
      deadlineMs: args.deadlineMs,
    })}\n`,
  );
  const compensated = compensationLine(r.audits);
  if (compensated) process.stdout.write(`${compensated}\n`);
  const cr = r.cancelRetry;
  const crAudit = cr ? r.audits.find((a) => a.runId === cr.runId) : undefined;
  if (cr && !cr.done) process.stdout.write(`cancel/retry: ${cr.runId} not cancelled (${cr.why})\n`);
  if (cr?.done) {
    process.stdout.write(
      `cancel/retry: ${crAudit?.tag ?? ""} ${cr.runId} cancelled with ${cr.runningAtCancel} node(s) running, ` +
        `${cr.callsAfterCancel} provider call(s) started after the cancel answered, retried as try ${cr.retryTry}, ` +
        `ended ${crAudit?.outcome ?? "unknown"}\n`,
    );
  }
  const cancelRetryClean = !cr?.done || (cr.callsAfterCancel === 0 && crAudit?.outcome === "completed");
  for (const line of faultsSeenBy(r.audits)) process.stdout.write(`${line}\n`);
  for (const line of detailLines(r.audits)) process.stdout.write(`  ${line}\n`);
  for (const line of eventReport(r.events)) process.stdout.write(`${line}\n`);
  const clean =
    eventsClean(eventFigures(r.events)) &&
    figures.stuck === 0 &&
    figures.startErrors === 0 &&
    figures.lostOutputs === 0 &&
    figures.underCountedRuns === 0 &&
    figures.doubleCountedRuns === 0 &&
    figures.totalsMismatchRuns === 0 &&
    figures.budgetOverruns === 0 &&
    cancelRetryClean;
  return clean ? 0 : 1;
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    process.stderr.write(`chaos: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exit(1);
  },
);
