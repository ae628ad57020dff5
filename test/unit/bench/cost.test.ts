import { describe, expect, it } from "vitest";
import { perNodeCost } from "../../../local/bench/cost.js";
import { emptyStats } from "../../../local/stats.js";

describe("perNodeCost", () => {
  it("counts published messages plus callbacks as QStash messages and divides bytes by messages", () => {
    const stats = {
      ...emptyStats(),
      qstashMessagesPublished: 10,
      qstashCallbacks: 10,
      qstashDeliveries: 20,
      qstashRequestBytes: 7_000,
      qstashDeliveryBytes: 16_000,
      redisCommands: 55,
      redisRequests: 30,
      redisRequestBytes: 9_000,
    };
    expect(perNodeCost(stats, 10)).toEqual({
      qstashMessages: 2,
      qstashPublished: 1,
      qstashDeliveries: 2,
      redisCommands: 5.5,
      redisRequests: 3,
      redisRequestBytes: 900,
      publishBytesPerMessage: 700,
      deliveryBytesPerDelivery: 800,
    });
  });

  it("gives null instead of dividing by zero", () => {
    const p = perNodeCost(emptyStats(), 0);
    expect(p.qstashMessages).toBeNull();
    expect(p.publishBytesPerMessage).toBeNull();
  });
});
