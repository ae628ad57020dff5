import { expect, it } from "vitest";
import { parseChaosArgs } from "../../../local/chaos/args.js";
import { DEFAULT_FAULT_RATES, NO_FAULTS } from "../../../local/chaos/faults.js";

it("parseChaosArgs reads the options with their defaults and refuses bad values", () => {
  expect(parseChaosArgs([])).toMatchObject({
    runs: 50,
    seed: 1,
    concurrency: 8,
    deadlineMs: 240_000,
    rates: DEFAULT_FAULT_RATES,
    retrySpeedup: 100,
  });
  const a = parseChaosArgs(["--runs", "200", "--seed", "7", "--deadline-s", "30", "--faults", "none,lostAnswer=0.5"]);
  expect(a).toMatchObject({ runs: 200, seed: 7, deadlineMs: 30_000, rates: { ...NO_FAULTS, lostAnswer: 0.5 } });
  expect(() => parseChaosArgs(["--runs", "0"])).toThrow(RangeError);
  expect(() => parseChaosArgs(["--concurrency", "2.5"])).toThrow(RangeError);
  expect(() => parseChaosArgs(["--nope"])).toThrow();
});
