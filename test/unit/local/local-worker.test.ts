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
  it("refuses a PUBLIC_URL binding before starting anything: the worker must take its origin from the request", async () => {
    await expect(startLocalWorker({ bindings: workerBindings(stack, "http://127.0.0.1:8787") })).rejects.toThrow(/PUBLIC_URL must stay unset/);
  });

  it("workerBindings leaves PUBLIC_URL out when given null, and sets it otherwise", () => {
    expect(workerBindings(stack, null)).not.toHaveProperty("PUBLIC_URL");
    expect(workerBindings(stack, "http://127.0.0.1:8787").PUBLIC_URL).toEqual({ type: "plain_text", value: "http://127.0.0.1:8787" });
  });
});
