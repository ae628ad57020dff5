import { type ChildProcess, spawn } from "node:child_process";
import { once } from "node:events";
import { Redis } from "@upstash/redis";

/**
 * Starts the local stack (Upstash Redis REST + QStash emulator, real Redis behind it) as a child process on the
 * fixed ports the worker project's bindings point at (vitest.config.ts); afterwards deletes only the keys under the
 * worker tests' own prefix (SCAN + DEL over the REST API) and stops the stack. A child process keeps the stack out
 * of the worker project's module graph (its resolve conditions are workerd's).
 */
export default async function setup(): Promise<() => Promise<void>> {
  const cfg = JSON.parse(process.env.AGENT_DAG_WORKER_STACK ?? "{}") as {
    redis: number;
    qstash: number;
    prefix: string;
  };
  const child: ChildProcess = spawn(
    process.execPath,
    [
      "--import",
      "tsx",
      "local/cli.ts",
      "--redis-port",
      String(cfg.redis),
      "--qstash-port",
      String(cfg.qstash),
      "--quiet",
    ],
    { stdio: ["ignore", "pipe", "inherit"] },
  );
  let out = "";
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`local stack did not start: ${out}`)), 20_000);
    child.stdout?.on("data", (chunk: Buffer) => {
      out += chunk.toString();
      if (out.includes("qstash ")) {
        clearTimeout(timer);
        resolve();
      }
    });
    child.once("exit", (code) => reject(new Error(`local stack exited with ${code}: ${out}`)));
  });
  return async () => {
    const redis = new Redis({
      url: `http://127.0.0.1:${cfg.redis}`,
      token: "local-redis-token",
      enableTelemetry: false,
    });
    let cursor = "0";
    do {
      const [next, keys] = await redis.scan(cursor, { match: `${cfg.prefix}:*`, count: 1000 });
      cursor = String(next);
      if (keys.length > 0) await redis.del(...keys);
    } while (cursor !== "0");
    child.kill("SIGTERM");
    await once(child, "exit");
  };
}
