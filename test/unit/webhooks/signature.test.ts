import { createHmac } from "node:crypto";
import { describe, expect, it } from "vitest";
import { SIGNATURE_TOLERANCE_SECONDS, signDelivery, verifySignature } from "../../../shared/webhooks/signature.js";

const body = new TextEncoder().encode("Hello, World!");

describe("webhook signatures", () => {
  it('matches GitHub\'s documented test vector (secret "It\'s a Secret to Everybody", body "Hello, World!")', async () => {
    // https://docs.github.com/en/webhooks/using-webhooks/validating-webhook-deliveries#testing-the-webhook-payload-validation
    const expected = "sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17";
    expect(await signDelivery(body, "It's a Secret to Everybody")).toBe(expected);
    const h = new Headers({ "x-hub-signature-256": expected });
    expect(await verifySignature("github", h, body, "It's a Secret to Everybody", 0)).toBeNull();
    expect(await verifySignature("github", h, body, "It's a Secret to Everybody!", 0)).toBe("signature does not match");
    expect(await verifySignature("github", new Headers(), body, "x", 0)).toBe("missing signature header");
    expect(await verifySignature("github", new Headers({ "x-hub-signature-256": "sha1=ab" }), body, "x", 0)).toBe(
      "malformed signature header",
    );
  });

  it("signs `<timestamp>.<body>` in the generic scheme and bounds the timestamp's age", async () => {
    const secret = "generic-secret-0123456789";
    const ts = 1_800_000_000;
    const mac = createHmac("sha256", secret).update(`${ts}.Hello, World!`).digest("hex");
    expect(await signDelivery(body, secret, ts)).toBe(`sha256=${mac}`);
    const h = new Headers({ "x-signature-256": `sha256=${mac}`, "x-signature-timestamp": String(ts) });
    expect(await verifySignature("hmac-sha256", h, body, secret, ts * 1000)).toBeNull();
    expect(await verifySignature("hmac-sha256", h, body, secret, (ts + SIGNATURE_TOLERANCE_SECONDS) * 1000)).toBeNull();
    expect(await verifySignature("hmac-sha256", h, body, secret, (ts + SIGNATURE_TOLERANCE_SECONDS + 1) * 1000)).toBe(
      "timestamp outside the tolerance window",
    );
    const moved = new Headers({ "x-signature-256": `sha256=${mac}`, "x-signature-timestamp": String(ts + 1) });
    expect(await verifySignature("hmac-sha256", moved, body, secret, ts * 1000)).toBe("signature does not match");
  });
});
