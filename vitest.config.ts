import { createServer } from "node:net";
import { cloudflareTest } from "@cloudflare/vitest-pool-workers";
import { defineConfig } from "vitest/config";
import { buildDashboard } from "./local/build-dashboard.js";

/**
 * Three tiers (docs/testing.md):
 * - unit: pure tables and the local stack's contract tests, in Node;
 * - worker: routes, auth, signatures and validation inside workerd, against a local stack that
 *   test/worker/global-setup.ts starts on two free ports taken here, under a key prefix of their own;
 * - e2e: the worker in workerd (wrangler's programmatic API) + local stack + real Redis, whole runs.
 */

/** A port the OS reports free now (listen on 0, read it, close); the stack binds it moments later. */
async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      server.close(() =>
        typeof address === "object" && address ? resolve(address.port) : reject(new Error("no port")),
      );
    });
  });
}

// the worker serves the built dashboard as static assets (wrangler.toml [assets]); every tier needs it in place
await buildDashboard();

// vitest loads this file once per run and hands the env to the global setup; a reload would take new ports, so
// an earlier choice in the env wins.
const inherited = process.env.AGENT_DAG_WORKER_STACK
  ? (JSON.parse(process.env.AGENT_DAG_WORKER_STACK) as { redis: number; qstash: number })
  : null;
const WORKER_STACK_PORTS = inherited ?? { redis: await freePort(), qstash: await freePort() };
const WORKER_KEY_PREFIX = `test-w-${Math.random().toString(36).slice(2, 10)}`;
process.env.AGENT_DAG_WORKER_STACK = JSON.stringify({
  redis: WORKER_STACK_PORTS.redis,
  qstash: WORKER_STACK_PORTS.qstash,
  prefix: WORKER_KEY_PREFIX,
});

export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: "unit",
          include: ["test/unit/**/*.test.ts", "test/local/**/*.test.ts"],
          environment: "node",
        },
      },
      {
        plugins: [
          cloudflareTest({
            wrangler: { configPath: "./wrangler.toml", environment: "dev" },
            miniflare: {
              bindings: {
                UPSTASH_REDIS_REST_URL: `http://127.0.0.1:${WORKER_STACK_PORTS.redis}`,
                QSTASH_URL: `http://127.0.0.1:${WORKER_STACK_PORTS.qstash}`,
                KEY_PREFIX: WORKER_KEY_PREFIX,
                API_KEYS: "dev:dev-key,acme:acme-key,cron:cron-key",
                PUBLIC_URL: "http://agent-dag.test",
                // a small SSE polling budget, so a test sees a response end with its retry: hint (run-events.test.ts)
                SSE_POLL_MS: "50",
                SSE_MAX_POLLS: "6",
                CRON_WORKFLOWS: JSON.stringify([
                  {
                    cron: "*/5 * * * *",
                    workflow: "review-all",
                    input: { repo: "cron", tree: "", files: "", omitted: "" },
                  },
                ]),
              },
            },
          }),
        ],
        test: {
          name: "worker",
          include: ["test/worker/**/*.test.ts"],
          globalSetup: ["test/worker/global-setup.ts"],
          // files share one Redis prefix and the emulator's chaos switch: run them one after another
          fileParallelism: false,
        },
      },
      {
        test: {
          name: "e2e",
          include: ["test/e2e/**/*.test.ts"],
          environment: "node",
          testTimeout: 180_000,
          hookTimeout: 120_000,
          fileParallelism: false,
        },
      },
    ],
  },
});
