import { describe, expect, it } from "vitest";
import {
  chooseFault,
  DEFAULT_FAULT_RATES,
  formatFaultCounts,
  kindsOf,
  NO_FAULTS,
  parseFaultRates,
} from "../../../local/chaos/faults.js";

describe("chooseFault", () => {
  const rates = { ...NO_FAULTS, duplicate: 0.1, lostAnswer: 0.2, deliver5xx: 0.05, redisApplied5xx: 0.5 };

  it("lays the hop's kinds end to end by rate and picks the one the draw falls in", () => {
    expect(kindsOf("delivery")).toEqual(["duplicate", "lostAnswer", "deliver5xx", "deliveryDelay"]);
    expect(chooseFault(0, "delivery", rates)).toBe("duplicate");
    expect(chooseFault(0.0999, "delivery", rates)).toBe("duplicate");
    expect(chooseFault(0.1, "delivery", rates)).toBe("lostAnswer");
    expect(chooseFault(0.2999, "delivery", rates)).toBe("lostAnswer");
    expect(chooseFault(0.31, "delivery", rates)).toBe("deliver5xx");
    expect(chooseFault(0.36, "delivery", rates)).toBeNull();
  });

  it("only ever picks kinds of the hop asked for", () => {
    expect(chooseFault(0.01, "redis", rates)).toBe("redisApplied5xx");
    expect(chooseFault(0.01, "qstash", rates)).toBeNull();
    for (let u = 0; u < 1; u += 0.01) {
      const k = chooseFault(u, "qstash", DEFAULT_FAULT_RATES);
      if (k) expect(kindsOf("qstash")).toContain(k);
    }
  });

  it("never injects with every rate 0", () => {
    for (const hop of ["delivery", "qstash", "redis"] as const) expect(chooseFault(0, hop, NO_FAULTS)).toBeNull();
  });
});

describe("parseFaultRates", () => {
  it("keeps the defaults, overrides named kinds, and starts from zero after `none`", () => {
    expect(parseFaultRates(undefined)).toEqual(DEFAULT_FAULT_RATES);
    expect(parseFaultRates("lostAnswer=0.5").lostAnswer).toBe(0.5);
    expect(parseFaultRates("lostAnswer=0.5").duplicate).toBe(DEFAULT_FAULT_RATES.duplicate);
    expect(parseFaultRates("none,duplicate=0.2")).toEqual({ ...NO_FAULTS, duplicate: 0.2 });
  });

  it("rejects unknown kinds and rates outside 0..1", () => {
    expect(() => parseFaultRates("explode=0.1")).toThrow(/unknown fault kind/);
    expect(() => parseFaultRates("duplicate=1.5")).toThrow(RangeError);
    expect(() => parseFaultRates("duplicate=")).toThrow(RangeError);
    expect(() => parseFaultRates("duplicate=x")).toThrow(RangeError);
  });
});

it("formatFaultCounts lists the non-zero counts in kind order", () => {
  expect(formatFaultCounts({ redisDelay: 3, duplicate: 1, lostAnswer: 0 })).toBe("duplicate=1 redisDelay=3");
  expect(formatFaultCounts({})).toBe("none");
});
