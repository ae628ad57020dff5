import "./require-node.js";
import { parseArgs } from "node:util";
import { DEFAULT_QSTASH_PORT, DEFAULT_REDIS_REST_PORT, DEFAULT_RETRY_SPEEDUP, startLocalStack } from "./stack.js";

/**
 * `npm run stack`: starts the local stack on 8079 (Upstash Redis REST) and 8080 (QStash v2 API) and prints one
 * line per service plus the chosen Redis backend. Flags: --memory, --redis-url <url>, --speedup <n>,
 * --duplicate (chaos duplicateDelivery), --publish-errors <n>, --delivery-delay-ms <ms>, --host <h>,
 * --redis-port <p>, --qstash-port <p>, --quiet (no delivery log lines). Stops cleanly on SIGINT/SIGTERM.
 * Chaos can also be changed while running: `curl -XPOST localhost:8080/__chaos -d '{"duplicateDelivery":true}'`.
 */
async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      memory: { type: "boolean", default: false },
      "redis-url": { type: "string" },
      speedup: { type: "string" },
      duplicate: { type: "boolean", default: false },
      "publish-errors": { type: "string" },
      "delivery-delay-ms": { type: "string" },
      host: { type: "string" },
      "redis-port": { type: "string" },
      "qstash-port": { type: "string" },
      quiet: { type: "boolean", default: false },
      help: { type: "boolean", short: "h", default: false },
    },
  });
  if (values.help) {
    console.log(
      "usage: npm run stack -- [--memory] [--redis-url redis://127.0.0.1:6379] [--speedup 1000] [--duplicate]\n" +
        "                        [--publish-errors N] [--delivery-delay-ms MS] [--host 127.0.0.1]\n" +
        "                        [--redis-port 8079] [--qstash-port 8080] [--quiet]",
    );
    return;
  }
  const num = (name: string, v: string | undefined, fallback: number): number => {
    if (v === undefined) return fallback;
    const n = Number(v);
    if (!Number.isFinite(n) || n < 0) throw new RangeError(`--${name} expects a number >= 0, got "${v}"`);
    return n;
  };
  const quiet = values.quiet;
  const stack = await startLocalStack({
    memory: values.memory,
    redisUrl: values["redis-url"],
    host: values.host,
    redisPort: num("redis-port", values["redis-port"], DEFAULT_REDIS_REST_PORT),
    qstashPort: num("qstash-port", values["qstash-port"], DEFAULT_QSTASH_PORT),
    retrySpeedup: num("speedup", values.speedup, DEFAULT_RETRY_SPEEDUP),
    chaos: {
      duplicateDelivery: values.duplicate,
      publishErrors: num("publish-errors", values["publish-errors"], 0),
      deliveryDelayMs: num("delivery-delay-ms", values["delivery-delay-ms"], 0),
    },
    log: (line) => {
      if (!quiet || !line.startsWith("qstash:")) console.log(line);
    },
  });
  console.log(`env: UPSTASH_REDIS_REST_URL=${stack.redisRestUrl} UPSTASH_REDIS_REST_TOKEN=${stack.redisToken}`);
  console.log(
    `env: QSTASH_URL=${stack.qstashUrl} QSTASH_TOKEN=${stack.qstashToken} ` +
      `QSTASH_CURRENT_SIGNING_KEY=${stack.signingKeys.current} QSTASH_NEXT_SIGNING_KEY=${stack.signingKeys.next}`,
  );
  console.log(`admin: GET ${stack.qstashUrl}/__stats, POST ${stack.qstashUrl}/__chaos (JSON); Ctrl-C to stop`);

  let stopping = false;
  const stop = (signal: string): void => {
    if (stopping) return;
    stopping = true;
    console.log(`${signal}: stopping the local stack`);
    stack.close().then(
      () => process.exit(0),
      (err: unknown) => {
        console.error(err);
        process.exit(1);
      },
    );
  };
  process.on("SIGINT", () => stop("SIGINT"));
  process.on("SIGTERM", () => stop("SIGTERM"));
}

main().catch((err: unknown) => {
  console.error(`local stack failed to start: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
});
