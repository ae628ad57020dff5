import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

const root = fileURLToPath(new URL("../..", import.meta.url));

describe("npm run stack (local/cli.ts)", () => {
  it("prints one line per service and the backend, serves, and stops cleanly on SIGTERM", async () => {
    const child = spawn(
      process.execPath,
      ["--import", "tsx", "local/cli.ts", "--memory", "--redis-port", "0", "--qstash-port", "0", "--duplicate"],
      {
        cwd: root,
        stdio: ["ignore", "pipe", "pipe"],
      },
    );
    let out = "";
    child.stdout.on("data", (c: Buffer) => (out += c.toString()));
    child.stderr.on("data", (c: Buffer) => (out += c.toString()));
    const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
    try {
      const deadline = Date.now() + 20_000;
      while (!out.includes("admin:")) {
        if (Date.now() > deadline) throw new Error(`cli did not start:\n${out}`);
        await new Promise((r) => setTimeout(r, 50));
      }
      expect(out).toMatch(/^redis-rest\s+http:\/\/127\.0\.0\.1:\d+\s+token=local-redis-token\s+backend=memory/m);
      expect(out).toMatch(/^qstash\s+http:\/\/127\.0\.0\.1:\d+/m);
      const qstashUrl = /^qstash\s+(http:\/\/\S+)/m.exec(out)![1]!;
      const chaos = (await (await fetch(`${qstashUrl}/__chaos`)).json()) as { duplicateDelivery: boolean };
      expect(chaos.duplicateDelivery).toBe(true);
    } finally {
      child.kill("SIGTERM");
    }
    expect(await exited).toBe(0);
    expect(out).toContain("SIGTERM: stopping the local stack");
  }, 30_000);
});
