/**
 * Facts about the machine and software a benchmark ran on, for the results file: CPUs, memory, OS, Node, load
 * average, the versions of the packages that carry the figures (wrangler, workerd, the Upstash clients, LangGraph)
 * and of the Redis server, and the git commit of the working tree.
 */
import { execFileSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import os from "node:os";
import { PROJECT_ROOT } from "../project-root.js";

/**
 * The machine: `cpus` (logical CPUs), `cpuModel`, `memoryBytes` (total RAM, bytes), `os` (type and release),
 * `arch`, `node` (version string), `loadAverage` (1, 5 and 15 minute load averages when read).
 */
export interface MachineFacts {
  cpus: number;
  cpuModel: string;
  memoryBytes: number;
  os: string;
  arch: string;
  node: string;
  loadAverage: [number, number, number];
}

/** Reads the machine facts now (the load average changes: read it at the start and at the end of a benchmark). */
export function machineFacts(): MachineFacts {
  const cpus = os.cpus();
  const [a = 0, b = 0, c = 0] = os.loadavg();
  return {
    cpus: cpus.length,
    cpuModel: cpus[0]?.model.trim() ?? "unknown",
    memoryBytes: os.totalmem(),
    os: `${os.type()} ${os.release()}`,
    arch: os.arch(),
    node: process.version,
    loadAverage: [round2(a), round2(b), round2(c)],
  };
}

/** Packages whose versions the results record (installed versions, read from node_modules). */
export const VERSIONED_PACKAGES = [
  "wrangler",
  "workerd",
  "miniflare",
  "@upstash/redis",
  "@upstash/qstash",
  "@langchain/langgraph",
  "@langchain/core",
] as const;

/**
 * Installed version of each of {@link VERSIONED_PACKAGES}, plus `agent-dag` itself; `null` for a package that is
 * not installed.
 * @param root project root (default {@link PROJECT_ROOT}).
 */
export function packageVersions(root = PROJECT_ROOT): Record<string, string | null> {
  const read = (file: string) =>
    existsSync(file) ? ((JSON.parse(readFileSync(file, "utf8")) as { version?: string }).version ?? null) : null;
  const out: Record<string, string | null> = { "agent-dag": read(`${root}package.json`) };
  for (const name of VERSIONED_PACKAGES) out[name] = read(`${root}node_modules/${name}/package.json`);
  return out;
}

/**
 * The git commit of the working tree and whether it has uncommitted changes; null when git is unavailable.
 * @param root project root (default {@link PROJECT_ROOT}).
 */
export function gitRevision(root = PROJECT_ROOT): { commit: string; dirty: boolean } | null {
  try {
    const commit = execFileSync("git", ["rev-parse", "HEAD"], { cwd: root, encoding: "utf8" }).trim();
    const status = execFileSync("git", ["status", "--porcelain"], { cwd: root, encoding: "utf8" });
    return { commit, dirty: status.trim().length > 0 };
  } catch {
    return null;
  }
}

function round2(x: number): number {
  return Math.round(x * 100) / 100;
}
