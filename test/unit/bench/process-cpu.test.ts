import { describe, expect, it } from "vitest";
import {
  cpuPerNode,
  descendantsNamed,
  describeCpuPerNode,
  type PidStat,
  parsePidStat,
  readProcessCpu,
} from "../../../local/bench/process-cpu.js";

describe("process CPU time", () => {
  it("reads pid, comm, ppid and utime + stime, with spaces and parentheses inside comm", () => {
    // fields after comm: state ppid pgrp session tty_nr tpgid flags minflt cminflt majflt cmajflt utime stime …
    const line = "4242 (my (odd) proc) S 17 4242 4242 0 -1 4194560 500 0 0 0 123 45 0 0 20 0 4 0 100 0 0";
    expect(parsePidStat(line)).toEqual({ pid: 4242, comm: "my (odd) proc", ppid: 17, cpuTicks: 168 });
    expect(parsePidStat("4242 (workerd) S 17 4242")).toBeNull();
    expect(parsePidStat("no parentheses")).toBeNull();
  });

  it("finds the named processes anywhere below a root, not beside it", () => {
    const p = (pid: number, ppid: number, comm: string): PidStat => ({ pid, ppid, comm, cpuTicks: pid });
    const stats = [
      p(10, 1, "node"),
      p(11, 10, "esbuild"),
      p(12, 10, "workerd"),
      p(13, 11, "workerd"),
      p(14, 12, "sh"),
      p(15, 14, "workerd"),
      p(20, 1, "workerd"),
    ];
    expect(
      descendantsNamed(stats, 10, "workerd")
        .map((s) => s.pid)
        .sort(),
    ).toEqual([12, 13, 15]);
    expect(descendantsNamed(stats, 99, "workerd")).toEqual([]);
  });

  it("divides each side's CPU by the nodes done, and drops a side that is missing or went backwards", () => {
    const threads = (entries: [string, number][]) => new Map(entries);
    const before = {
      workerd: 1000,
      workerdThreads: threads([
        ["7/7", 600],
        ["7/8", 400],
      ]),
      node: 500,
      redis: 40,
    };
    expect(
      cpuPerNode(
        before,
        {
          workerd: 2900,
          workerdThreads: threads([
            ["7/7", 2000],
            ["7/8", 900],
          ]),
          node: 1120,
          redis: 80,
        },
        200,
      ),
    ).toEqual({ workerd: 9.5, workerdThread: 7, node: 3.1, redis: 0.2 });
    // a thread that appeared after the first reading is not compared; none in common gives null
    expect(
      cpuPerNode(before, { workerd: 900, workerdThreads: threads([["9/9", 5000]]), node: 700, redis: null }, 100),
    ).toEqual({ workerd: null, workerdThread: null, node: 2, redis: null });
    expect(cpuPerNode(before, { ...before, node: 700 }, 0)).toBeNull();
    expect(cpuPerNode(null, before, 10)).toBeNull();
  });

  it("describes only the sides it read", () => {
    expect(describeCpuPerNode({ workerd: 9.52, workerdThread: 7.04, node: 6, redis: null })).toBe(
      "CPU per node: workerd 9.5 ms, its busiest thread 7.0 ms, stack 6.0 ms",
    );
    expect(describeCpuPerNode({ workerd: 9.52, node: 6, redis: 0.2 })).toBe(
      "CPU per node: workerd 9.5 ms, stack 6.0 ms, Redis 0.2 ms",
    );
  });

  it("reads this process's own CPU time, and a redis-server's threads only under that name", () => {
    const before = readProcessCpu(null);
    let x = 0;
    const until = process.cpuUsage().user + 50_000;
    while (process.cpuUsage().user < until) x += Math.sqrt(x + 1);
    const after = readProcessCpu(process.pid); // this pid is not a redis-server
    expect(x).toBeGreaterThan(0);
    expect(after.node - before.node).toBeGreaterThanOrEqual(50);
    expect(after.redis).toBeNull();
    expect(before.redis).toBeNull();
  });

  it.skipIf(process.platform !== "linux")("reads a local redis-server's CPU by its pid", async ({ skip }) => {
    const { Redis } = await import("ioredis");
    const redis = new Redis(process.env["REDIS_URL"] ?? "redis://127.0.0.1:6379", {
      lazyConnect: true,
      maxRetriesPerRequest: 1,
    });
    let pid: number | null = null;
    try {
      await redis.connect();
      pid = Number(/process_id:(\d+)/.exec(await redis.info("server"))?.[1]);
    } catch {
      pid = null; // no Redis here: nothing to read
    } finally {
      redis.disconnect();
    }
    if (pid === null) skip("no Redis reachable");
    expect(readProcessCpu(pid).redis).toBeGreaterThan(0);
  });
});
