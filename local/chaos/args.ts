/**
 * Command-line options of `npm run chaos` (local/chaos/cli.ts), parsed with node:util's parseArgs.
 */
import { parseArgs } from "node:util";
import { type FaultRates, parseFaultRates } from "./faults.js";

/** Usage text. */
export const CHAOS_USAGE = `Usage: npm run chaos -- [options]
  --runs N            runs to start (default 50)
  --seed S            PRNG seed: same seed, same DAGs, budgets and fault streams (default 1)
  --concurrency C     runs in flight at once (default 8)
  --deadline-s D      a run not terminal D seconds after it started counts as stuck (default 240: a node whose
                      holder died with no retry left is re-offered by the sweeper once its delivery deadline
                      (10 s node timeout + 60 s chain window + 10 s margin, + 10 s) and its grace (10 s) have
                      passed, at the run's next look (once a minute): up to 170 s, then the run goes on)
  --faults SPEC       none | default | kind=rate,... over the defaults (rates 0..1), kinds:
                      duplicate lostAnswer deliver5xx deliveryDelay publishRefused publishApplied5xx
                      redisRefused5xx redisApplied5xx redisDelay workerKill (per run started)
  --delay-max-ms M    largest injected delay (default 300)
  --provider-ms L     fake provider latency per call (default 30)
  --retry-speedup X   divide QStash retry waits by X (default 100: 0.12 s, 1.5 s, 18 s)
  --verbose           worker logs on
  --help`;

/** Parsed options. */
export interface ChaosArgs {
  runs: number;
  seed: number;
  concurrency: number;
  deadlineMs: number;
  rates: FaultRates;
  delayMaxMs: number;
  providerLatencyMs: number;
  retrySpeedup: number;
  verbose: boolean;
  help: boolean;
}

function int(name: string, value: string | undefined, fallback: number, min: number): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isSafeInteger(n) || n < min) throw new RangeError(`--${name} must be an integer >= ${min}, got ${value}`);
  return n;
}

/**
 * Parses the arguments after `npm run chaos --`.
 * @throws RangeError or TypeError (node:util) for an unknown option or a bad value.
 */
export function parseChaosArgs(argv: readonly string[]): ChaosArgs {
  const { values } = parseArgs({
    args: [...argv],
    strict: true,
    options: {
      runs: { type: "string" },
      seed: { type: "string" },
      concurrency: { type: "string" },
      "deadline-s": { type: "string" },
      faults: { type: "string" },
      "delay-max-ms": { type: "string" },
      "provider-ms": { type: "string" },
      "retry-speedup": { type: "string" },
      verbose: { type: "boolean" },
      help: { type: "boolean" },
    },
  });
  return {
    runs: int("runs", values.runs, 50, 1),
    seed: int("seed", values.seed, 1, 0),
    concurrency: int("concurrency", values.concurrency, 8, 1),
    deadlineMs: int("deadline-s", values["deadline-s"], 240, 1) * 1000,
    rates: parseFaultRates(values.faults),
    delayMaxMs: int("delay-max-ms", values["delay-max-ms"], 300, 0),
    providerLatencyMs: int("provider-ms", values["provider-ms"], 30, 0),
    retrySpeedup: int("retry-speedup", values["retry-speedup"], 100, 1),
    verbose: values.verbose ?? false,
    help: values.help ?? false,
  };
}
