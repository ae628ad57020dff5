import { describe, expect, it } from "vitest";
import { cpuShare, parseProcStat } from "../../../local/bench/cpu-time.js";

// proc(5): cpu user nice system idle iowait irq softirq steal guest guest_nice
const before = "cpu  1000 0 500 8000 100 0 50 300 0 0\ncpu0 500 0 250 4000 50 0 25 150 0 0\nintr 1\n";
const after = "cpu  1100 0 550 8600 100 0 50 500 0 0\ncpu0 550 0 275 4300 50 0 25 250 0 0\n";

describe("cpu time", () => {
  it("parses the aggregate cpu line of /proc/stat (busy = user+nice+system+irq+softirq, idle = idle+iowait)", () => {
    expect(parseProcStat(before)).toEqual({ busy: 1550, idle: 8100, steal: 300 });
  });

  it("returns null without a cpu line or with too few fields", () => {
    expect(parseProcStat("intr 1\n")).toBeNull();
    expect(parseProcStat("cpu  1 2 3\n")).toBeNull();
  });

  it("gives the busy and steal shares between two readings, in percent", () => {
    // +150 busy, +600 idle, +200 steal of 950 ticks
    expect(cpuShare(parseProcStat(before), parseProcStat(after))).toEqual({ busyPct: 15.8, stealPct: 21.1 });
  });

  it("returns null when a reading is missing or no tick passed", () => {
    expect(cpuShare(null, parseProcStat(after))).toBeNull();
    expect(cpuShare(parseProcStat(before), parseProcStat(before))).toBeNull();
  });
});
