/**
 * The faults the chaos suite injects, where each one applies, their default rates, the `--faults kind=rate,...`
 * parser, and the pure choice of a fault for one request. Each hop is a link between two components:
 * - `delivery`: the QStash emulator delivering `/internal/*` to the worker;
 * - `qstash`: the worker calling the QStash API (publish, batch);
 * - `redis`: the worker calling the Upstash Redis REST API;
 * - `worker`: the worker process itself (killed and restarted mid-suite).
 */

/** A link the suite injects faults on. */
export type Hop = "delivery" | "qstash" | "redis" | "worker";

/** Every fault kind, with the hop it applies to and what it does. */
export const FAULT_KINDS = {
  /** The delivery reaches the worker twice (two concurrent requests); QStash gets the first answer. */
  duplicate: { hop: "delivery", describe: "delivery duplicated" },
  /** The worker did the work, its answer never reaches QStash (the connection is dropped). */
  lostAnswer: { hop: "delivery", describe: "answer lost after the worker did the work" },
  /** QStash gets a 503 before the worker saw the request. */
  deliver5xx: { hop: "delivery", describe: "5xx before the worker saw the request" },
  /** The delivery waits a random 0..delayMaxMs first (so later deliveries overtake it: reordering). */
  deliveryDelay: { hop: "delivery", describe: "delivery delayed/reordered" },
  /** A publish is refused with 503 and not forwarded. */
  publishRefused: { hop: "qstash", describe: "publish refused (503, not enqueued)" },
  /** A publish is forwarded and enqueued, then answered 503. */
  publishApplied5xx: { hop: "qstash", describe: "publish accepted but answered 503" },
  /** A Redis REST request is answered 503 without being applied. */
  redisRefused5xx: { hop: "redis", describe: "Redis request refused (503, not applied)" },
  /** A Redis REST request is applied, then answered 503. */
  redisApplied5xx: { hop: "redis", describe: "Redis request applied but answered 503" },
  /** A Redis REST request waits a random 0..delayMaxMs first. */
  redisDelay: { hop: "redis", describe: "Redis request delayed" },
  /** Per run started: the chance that the worker is killed and restarted a little later (mid-run). */
  workerKill: { hop: "worker", describe: "worker killed and restarted" },
} as const satisfies Record<string, { hop: Hop; describe: string }>;

/** A fault kind's name. */
export type FaultKind = keyof typeof FAULT_KINDS;

/** Probability (0..1) per request (per run started for `workerKill`) of each fault kind. */
export type FaultRates = Record<FaultKind, number>;

/** Default rates: every kind on, low enough that most runs can still finish. */
export const DEFAULT_FAULT_RATES: FaultRates = {
  duplicate: 0.03,
  lostAnswer: 0.03,
  deliver5xx: 0.03,
  deliveryDelay: 0.05,
  publishRefused: 0.01,
  publishApplied5xx: 0.01,
  redisRefused5xx: 0.003,
  redisApplied5xx: 0.003,
  redisDelay: 0.01,
  workerKill: 0.02,
};

/** Every rate 0 (`--faults none`). */
export const NO_FAULTS: FaultRates = Object.fromEntries(Object.keys(FAULT_KINDS).map((k) => [k, 0])) as FaultRates;

/** True for a known fault kind name. */
export function isFaultKind(name: string): name is FaultKind {
  return Object.hasOwn(FAULT_KINDS, name);
}

/**
 * Parses `--faults`: `none`, `default`, or `kind=rate,...` over the defaults (`none,dup=0.1` starts from all-zero).
 * Example: `lostAnswer=0.1,workerKill=0` keeps the other defaults.
 * @throws RangeError for an unknown kind, or a rate that is not a number in 0..1.
 */
export function parseFaultRates(spec: string | undefined): FaultRates {
  const rates: FaultRates = { ...DEFAULT_FAULT_RATES };
  if (spec === undefined) return rates;
  for (const part of spec
    .split(",")
    .map((p) => p.trim())
    .filter(Boolean)) {
    if (part === "none") Object.assign(rates, NO_FAULTS);
    else if (part === "default") Object.assign(rates, DEFAULT_FAULT_RATES);
    else {
      const [name = "", value = ""] = part.split("=");
      if (!isFaultKind(name)) throw new RangeError(`unknown fault kind "${name}" (known: ${Object.keys(FAULT_KINDS)})`);
      const rate = Number(value);
      if (value.trim() === "" || !(rate >= 0 && rate <= 1)) throw new RangeError(`${name}: rate must be 0..1`);
      rates[name] = rate;
    }
  }
  return rates;
}

/** The fault kinds of one hop, in a fixed order (the order {@link chooseFault} walks). */
export function kindsOf(hop: Hop): FaultKind[] {
  return (Object.keys(FAULT_KINDS) as FaultKind[]).filter((k) => FAULT_KINDS[k].hop === hop);
}

/**
 * The fault for one request on `hop`, from one uniform draw `u` in [0, 1): the hop's kinds are laid end to end with
 * widths equal to their rates, and `u` falls in one of them or past them all (no fault).
 * @returns the kind, or null for no fault. When the rates sum past 1, later kinds are cut short.
 */
export function chooseFault(u: number, hop: Hop, rates: FaultRates): FaultKind | null {
  let edge = 0;
  for (const kind of kindsOf(hop)) {
    edge += rates[kind];
    if (u < edge) return kind;
  }
  return null;
}

/** Counts of injected faults by kind. */
export type FaultCounts = Partial<Record<FaultKind, number>>;

/** `kind=count` pairs of the non-zero counts, in {@link FAULT_KINDS} order, or `none`. */
export function formatFaultCounts(counts: FaultCounts): string {
  const parts = (Object.keys(FAULT_KINDS) as FaultKind[])
    .filter((k) => (counts[k] ?? 0) > 0)
    .map((k) => `${k}=${counts[k]}`);
  return parts.length > 0 ? parts.join(" ") : "none";
}
