import { describe, expect, it } from "vitest";
import { startLocalWorker } from "../../../local/local-worker.js";
import { workerBindings } from "../../../local/worker-bindings.js";

const stack = {
  redisRestUrl: "http://127.0.0.1:1",
  redisToken: "t",
  qstashUrl: "http://127.0.0.1:2",
  qstashToken: "q",
  signingKeys: { current: "sig_a", next: "sig_b" },
};

describe("local worker", () => {
  it("refuses a PUBLIC_URL binding: the worker must take its origin from the request", async () => {
    const bindings = workerBindings(stack, { PUBLIC_URL: "http://127.0.0.1:8787" });
    await expect(startLocalWorker({ bindings })).rejects.toThrow(/PUBLIC_URL must stay unset/);
  });

  it("workerBindings sets no PUBLIC_URL of its own", () => {
    expect(workerBindings(stack)).not.toHaveProperty("PUBLIC_URL");
  });
});
