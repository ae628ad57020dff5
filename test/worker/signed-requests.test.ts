import { createExecutionContext, env, waitOnExecutionContext } from "cloudflare:test";
import process from "node:process";
import { afterEach, describe, expect, it } from "vitest";
import { createApp } from "../../functions/app.js";
import { UPSTASH_DEV_SIGNING_KEYS } from "../../functions/deployment-safety.js";
import { MAX_QSTASH_BODY_BYTES } from "../../functions/middleware/capped-body.js";
import { CLOCK_TOLERANCE_SECONDS } from "../../functions/middleware/qstash-signature.js";
import { CRON_TENANT, cronIdempotencyKey, runScheduled } from "../../functions/scheduled.js";
import { deliveryTokenKey } from "../../shared/state/delivery-tokens.js";
import { node, workflow } from "../support/workflows.js";
import { keysUnderPrefix, sign, testRedis } from "./helpers.js";

const ORIGIN = "http://agent-dag.test";
const EXECUTE = `${ORIGIN}/internal/execute`;
/** An execute message for a run that does not exist: a verified delivery answers 200 `skipped`, storing nothing. */
const BODY = JSON.stringify({ runId: "run_0123456789abcdef0123456789", nodeId: "a" });
/** Signing keys of a real-looking production account (not Upstash's public development keys). */
const PROD_KEYS = {
  QSTASH_CURRENT_SIGNING_KEY: "sig_prodCurrentKey000000000000",
  QSTASH_NEXT_SIGNING_KEY: "sig_prodNextKey000000000000000",
};

/** Calls the worker's app with `env` plus `overrides` (a new bindings object: its own services). */
async function call(request: Request, overrides: Record<string, unknown> = {}): Promise<Response> {
  const ctx = createExecutionContext();
  const res = await createApp().fetch(request, { ...env, ...overrides }, ctx);
  await waitOnExecutionContext(ctx);
  return res;
}

function execute(signature: string, headers: Record<string, string> = {}, body: BodyInit = BODY): Request {
  return new Request(EXECUTE, {
    method: "POST",
    headers: { "content-type": "application/json", "upstash-signature": signature, ...headers },
    body,
  });
}

function jtiOf(token: string): string {
  const part = token.split(".")[1] as string;
  return (JSON.parse(atob(part.replaceAll("-", "+").replaceAll("_", "/"))) as { jti: string }).jti;
}

function startRequest(host: string, headers: Record<string, string> = {}, input: unknown = {}): Request {
  return new Request(`${host}/v1/runs`, {
    method: "POST",
    headers: { authorization: "Bearer dev-key", "content-type": "application/json", ...headers },
    body: JSON.stringify({ workflow: workflow([node("a")]), input }),
  });
}

describe("signed /internal/* bodies (DoS)", () => {
  it("DoS: a Content-Length over the cap is refused 413 problem+json before one byte is read", async () => {
    let pulled = 0;
    const body = new ReadableStream<Uint8Array>(
      {
        pull(controller) {
          pulled++;
          controller.error(new Error("the body was read"));
        },
      },
      { highWaterMark: 0 },
    );
    const req = execute(await sign(EXECUTE, BODY), { "content-length": String(MAX_QSTASH_BODY_BYTES + 1) }, body);
    const res = await call(req);
    expect(res.status).toBe(413);
    expect(res.headers.get("content-type")).toContain("application/problem+json");
    expect(pulled).toBe(0);
  });

  it("DoS: a chunked body is abandoned with 413 once past the cap, never read to its end", async () => {
    const chunk = new Uint8Array(64 * 1024).fill(0x20);
    let sent = 0;
    const body = new ReadableStream<Uint8Array>({
      pull(controller) {
        if (sent > MAX_QSTASH_BODY_BYTES + 2 * chunk.byteLength) {
          controller.error(new Error("read past the cap"));
          return;
        }
        sent += chunk.byteLength;
        controller.enqueue(chunk);
      },
    });
    const res = await call(execute(await sign(EXECUTE, BODY), {}, body));
    expect(res.status).toBe(413);
    expect(((await res.json()) as { type: string }).type).toMatch(/payload-too-large$/);
    expect(sent).toBeLessThanOrEqual(MAX_QSTASH_BODY_BYTES + 2 * chunk.byteLength);
  });
});

describe("signed /internal/* tokens are single-use (replay)", () => {
  it("replay: a second use of a token under other Upstash-Message-Id / Upstash-Retried is refused 409, and stores nothing", async () => {
    const token = await sign(EXECUTE, BODY);
    const first = await call(execute(token, { "upstash-message-id": "msg_1", "upstash-retried": "0" }));
    expect(first.status).toBe(200);
    expect(await first.json()).toMatchObject({ skipped: true });
    const before = await keysUnderPrefix();
    // the same delivery sent twice (same headers) is a duplicate, not a replay: it is answered as the first was
    const duplicate = await call(execute(token, { "upstash-message-id": "msg_1", "upstash-retried": "0" }));
    expect(duplicate.status).toBe(200);
    expect(await duplicate.json()).toMatchObject({ skipped: true });
    const others: Record<string, string>[] = [
      { "upstash-message-id": "msg_other", "upstash-retried": "0" },
      { "upstash-message-id": "msg_1", "upstash-retried": "3" },
      {},
    ];
    for (const headers of others) {
      const again = await call(execute(token, headers));
      expect(again.status).toBe(409);
      expect(again.headers.get("content-type")).toContain("application/problem+json");
      expect(((await again.json()) as { type: string }).type).toMatch(/replayed-delivery$/);
    }
    expect(await keysUnderPrefix()).toEqual(before);
  });

  it("replay: QStash's next attempt, signed with a token of its own, is accepted; each token is remembered until exp + tolerance", async () => {
    const first = await sign(EXECUTE, BODY);
    const retry = await sign(EXECUTE, BODY);
    expect((await call(execute(first, { "upstash-retried": "0" }))).status).toBe(200);
    expect((await call(execute(retry, { "upstash-retried": "1" }))).status).toBe(200);
    const ttl = await testRedis().pttl(
      deliveryTokenKey(env.KEY_PREFIX as string, JSON.parse(BODY).runId, jtiOf(retry)),
    );
    expect(ttl).toBeGreaterThan(0);
    expect(ttl).toBeLessThanOrEqual((300 + CLOCK_TOLERANCE_SECONDS) * 1000);
  });

  it("replay: the clock tolerance is a few seconds: a token 1 s past exp passes, one past exp + tolerance is refused", async () => {
    const now = Math.floor(Date.now() / 1000);
    const late = await sign(EXECUTE, BODY, env.QSTASH_CURRENT_SIGNING_KEY, { exp: now - CLOCK_TOLERANCE_SECONDS - 5 });
    expect((await call(execute(late))).status).toBe(401);
    const slightlyLate = await sign(EXECUTE, BODY, env.QSTASH_CURRENT_SIGNING_KEY, { exp: now - 1 });
    expect((await call(execute(slightlyLate))).status).toBe(200);
  });
});

describe("receiver settings (replay: forged signatures)", () => {
  afterEach(() => {
    delete process.env.QSTASH_DEV;
  });

  it("replay: QSTASH_DEV=true in the environment cannot switch verification to Upstash's public dev keys", async () => {
    process.env.QSTASH_DEV = "true";
    const forged = await sign(EXECUTE, BODY, UPSTASH_DEV_SIGNING_KEYS[0]);
    const res = await call(execute(forged), { ...PROD_KEYS, QSTASH_DEV: "true" });
    expect(res.status).toBe(401);
    const genuine = await sign(EXECUTE, BODY, PROD_KEYS.QSTASH_CURRENT_SIGNING_KEY);
    expect((await call(execute(genuine), { ...PROD_KEYS, QSTASH_DEV: "true" })).status).toBe(200);
  });

  it("replay: production with Upstash's dev signing keys refuses runs and deliveries (503 problem+json) and /healthz says why", async () => {
    const production = { ENVIRONMENT: "production" };
    const before = await keysUnderPrefix();
    const start = await call(startRequest(ORIGIN), production);
    expect(start.status).toBe(503);
    expect(start.headers.get("content-type")).toContain("application/problem+json");
    const problem = (await start.json()) as { type: string; errors: { detail: string }[] };
    expect(problem.type).toMatch(/unsafe-deployment$/);
    expect(problem.errors.map((e) => e.detail).join(" ")).toMatch(/QSTASH_CURRENT_SIGNING_KEY/);
    const delivery = await call(execute(await sign(EXECUTE, BODY)), production);
    expect(delivery.status).toBe(503);
    const health = await call(new Request(`${ORIGIN}/healthz`), production);
    expect(health.status).toBe(503);
    expect(await health.json()).toMatchObject({
      ok: false,
      environment: "production",
      deployment: { ok: false, problems: [expect.stringMatching(/development keys/)] },
      redis: { ok: true },
    });
    await expect(
      runScheduled({ cron: "*/5 * * * *", scheduledTime: Date.now() }, { ...env, ...production }),
    ).rejects.toThrow(/unsafe/);
    expect(await keysUnderPrefix()).toEqual(before);
  });

  it("replay: production without PUBLIC_URL refuses to start a run instead of sending QStash to the request's Host", async () => {
    const production = { ENVIRONMENT: "production", ...PROD_KEYS, PUBLIC_URL: undefined };
    const before = await keysUnderPrefix();
    const res = await call(startRequest("http://attacker.example"), production);
    expect(res.status).toBe(503);
    expect(((await res.json()) as { detail: string }).detail).toMatch(/PUBLIC_URL/);
    expect(await keysUnderPrefix()).toEqual(before);
    const health = (await (await call(new Request(`${ORIGIN}/healthz`), production)).json()) as {
      deployment: { problems: string[] };
    };
    expect(health.deployment.problems).toEqual([expect.stringMatching(/PUBLIC_URL/)]);
    // with PUBLIC_URL set, the destination is PUBLIC_URL whatever the Host
    const ok = await call(startRequest("http://attacker.example"), {
      ENVIRONMENT: "production",
      ...PROD_KEYS,
      ALLOW_SIMULATED_PROVIDER: "true",
    });
    expect(ok.status, await ok.clone().text()).toBe(202);
    const { runId } = (await ok.json()) as { runId: string };
    const def = JSON.parse((await testRedis().get<string>(`${env.KEY_PREFIX}:{run:${runId}}:def`)) as string) as {
      baseUrl: string;
    };
    expect(def.baseUrl).toBe(env.PUBLIC_URL);
  });
});

describe("cron idempotency key space (replay of a future firing's key)", () => {
  it("replay: an API caller of tenant cron cannot pre-empt a cron firing by sending its idempotency key", async () => {
    const firing = { cron: "*/5 * * * *", scheduledTime: Date.UTC(2026, 10, 23, 6, 0) };
    const key = cronIdempotencyKey(firing.cron, firing.scheduledTime, "review-all");
    const squat = await call(
      startRequest(ORIGIN, { authorization: "Bearer cron-key", "idempotency-key": key }, { squatted: true }),
    );
    expect(squat.status).toBe(202);
    const squatted = ((await squat.json()) as { runId: string }).runId;
    const started = await runScheduled(firing, env);
    expect(started).toHaveLength(1);
    expect(started[0]).not.toBe(squatted);
    const meta = await testRedis().hget(`${env.KEY_PREFIX}:{run:${started[0]}}:meta`, "status");
    expect(meta).toBe("running");
    expect(CRON_TENANT).toBe("cron");
  });

  it("one failing cron entry does not stop the others (isolation; already held before the key-space change)", async () => {
    const firing = { cron: "*/5 * * * *", scheduledTime: Date.UTC(2026, 10, 23, 6, 5) };
    const input = { repo: "cron", tree: "", files: "", omitted: "" };
    const twoEntries = {
      ...env,
      CRON_WORKFLOWS: JSON.stringify([
        { cron: firing.cron, workflow: "no-such-workflow" },
        { cron: firing.cron, workflow: "review-all", input },
      ]),
    };
    const failed = await runScheduled(firing, twoEntries).then(
      () => null,
      (err: unknown) => err as AggregateError,
    );
    expect(failed).toBeInstanceOf(AggregateError);
    expect(failed?.message).toMatch(/no-such-workflow.*started: run_/);
  });
});
