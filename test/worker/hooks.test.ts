import { createExecutionContext, env, SELF, waitOnExecutionContext } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { createApp } from "../../functions/app.js";
import { signDelivery } from "../../shared/webhooks/signature.js";
import pullRequestOpened from "../fixtures/github/pull_request.opened.payload.json";
import { node, type Problem, workflow } from "../support/workflows.js";
import { keysUnderPrefix, testRedis } from "./helpers.js";

const SECRET = "It's a Secret to Everybody, 32ch";
/** GitHub's documented example delivery, as bytes (the tests sign exactly what they send). */
const PAYLOAD = new TextEncoder().encode(JSON.stringify(pullRequestOpened));

function call(method: string, path: string, body?: unknown, key = "dev-key"): Promise<Response> {
  return SELF.fetch(`http://agent-dag.test${path}`, {
    method,
    headers: { authorization: `Bearer ${key}`, "content-type": "application/json" },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
}

/** A delivery to `POST /v1/hooks/:id`: no API key, only the provider's headers. */
function deliver(id: string, body: Uint8Array, headers: Record<string, string>): Promise<Response> {
  return SELF.fetch(`http://agent-dag.test/v1/hooks/${id}`, {
    method: "POST",
    headers: { "content-type": "application/json", ...headers },
    body,
  });
}

/** GitHub's headers for a `pull_request` delivery of `body` signed with `secret`. */
async function githubHeaders(body: Uint8Array, secret = SECRET, event = "pull_request") {
  return {
    "x-github-event": event,
    "x-github-delivery": crypto.randomUUID(),
    "x-hub-signature-256": await signDelivery(body, secret),
  };
}

/** A tenant workflow reading the mapped input, and a hook of `verify` starting it. */
async function createHook(spec: Record<string, unknown> = {}, key = "dev-key"): Promise<{ id: string; name: string }> {
  const name = `pr-${crypto.randomUUID().slice(0, 8)}`;
  const def = workflow([node("review", [], { prompt: "Review PR #{{input.pr}} of {{input.repo}}: {{input.title}}" })], {
    name,
  });
  expect((await call("PUT", `/v1/workflows/${name}`, def, key)).status).toBe(201);
  const res = await call(
    "POST",
    "/v1/hooks",
    {
      workflow: name,
      verify: "github",
      secret: SECRET,
      events: ["pull_request.opened", "pull_request.synchronize"],
      input: { repo: "/repository/full_name", pr: "/pull_request/number", title: "/pull_request/title" },
      ...spec,
    },
    key,
  );
  expect(res.status).toBe(201);
  const { id } = (await res.json()) as { id: string };
  return { id, name };
}

async function runsOf(name: string): Promise<{ runId: string; trigger: string }[]> {
  const res = await call("GET", `/v1/runs?workflow=${name}`);
  return ((await res.json()) as { runs: { runId: string; trigger: string }[] }).runs;
}

describe("webhooks: management", () => {
  it("leak: a hook gets a server-made id; reads show a hint of the secret, never the secret", async () => {
    const { id } = await createHook();
    expect(id).toMatch(/^hk_[0-9a-f]{32}$/);
    const text = await (await call("GET", `/v1/hooks/${id}`)).text();
    expect(text).not.toContain(SECRET);
    expect(JSON.parse(text)).toMatchObject({ id, verify: "github", secretHint: SECRET.slice(-4) });
    const list = await (await call("GET", "/v1/hooks")).text();
    expect(list).toContain(id);
    expect(list).not.toContain(SECRET);
  });

  it("hides a hook from another tenant (404 on read, replace and delete)", async () => {
    const { id, name } = await createHook();
    expect((await call("GET", `/v1/hooks/${id}`, undefined, "acme-key")).status).toBe(404);
    const replace = { workflow: name, verify: "github", secret: SECRET };
    expect((await call("PUT", `/v1/hooks/${id}`, replace, "acme-key")).status).toBe(404);
    expect((await call("DELETE", `/v1/hooks/${id}`, undefined, "acme-key")).status).toBe(404);
    expect(await (await call("GET", "/v1/hooks", undefined, "acme-key")).text()).not.toContain(id);
    expect((await call("GET", `/v1/hooks/${id}`)).status).toBe(200);
  });

  it("refuses a hook naming an unknown workflow, a short secret or a bad pointer, with the field", async () => {
    const res = await call("POST", "/v1/hooks", {
      workflow: "hello",
      verify: "github",
      secret: "short",
      input: { pr: "/pull_request/~2" },
    });
    expect(res.status).toBe(422);
    expect(((await res.json()) as Problem).errors?.map((e) => e.pointer)).toEqual(["/secret", "/input/pr"]);
    const unknown = await call("POST", "/v1/hooks", { workflow: "no-such-flow", verify: "github", secret: SECRET });
    expect(unknown.status).toBe(422);
    expect(((await unknown.json()) as Problem).errors?.[0]?.pointer).toBe("/workflow");
  });

  it("leak: the secret is sealed at rest when CACHE_ENCRYPTION_KEYS is set, and still verifies deliveries", async () => {
    const keyed = { ...env, CACHE_ENCRYPTION_KEYS: "h1:AQIDBAUGBwgJCgsMDQ4PEBESExQVFhcYGRobHB0eHyA=" };
    const fetchKeyed = async (req: Request) => {
      const ctx = createExecutionContext();
      const res = await createApp().fetch(req, keyed, ctx);
      await waitOnExecutionContext(ctx);
      return res;
    };
    const created = await fetchKeyed(
      new Request("http://agent-dag.test/v1/hooks", {
        method: "POST",
        headers: { authorization: "Bearer dev-key", "content-type": "application/json" },
        body: JSON.stringify({ workflow: "hello", verify: "github", secret: SECRET, events: ["issues"] }),
      }),
    );
    expect(created.status).toBe(201);
    const { id } = (await created.json()) as { id: string };
    const stored = (await testRedis().get<string>(`${env.KEY_PREFIX}:hook:${id}`)) ?? "";
    expect(stored).toContain('"kid":"h1"');
    expect(stored).not.toContain(SECRET);
    const res = await fetchKeyed(
      new Request(`http://agent-dag.test/v1/hooks/${id}`, {
        method: "POST",
        body: PAYLOAD,
        headers: await githubHeaders(PAYLOAD),
      }),
    );
    // verified, then filtered out by `events`: the sealed secret opened
    expect(res.status).toBe(202);
    expect(await res.json()).toEqual({ ignored: "event pull_request.opened is not in events" });
  });
});

describe("webhooks: GitHub deliveries", () => {
  it("replay: the pull_request fixture delivered twice with a valid signature starts one run, with the mapped input", async () => {
    const { id, name } = await createHook();
    const headers = await githubHeaders(PAYLOAD);
    const first = await deliver(id, PAYLOAD, headers);
    expect(first.status).toBe(202);
    const a = (await first.json()) as { runId: string; created: boolean };
    expect(a.created).toBe(true);
    const second = await deliver(id, PAYLOAD, headers);
    expect(second.status).toBe(200);
    expect(await second.json()).toMatchObject({ runId: a.runId, created: false });

    const runs = await runsOf(name);
    expect(runs.map((r) => r.runId)).toEqual([a.runId]);
    expect(runs[0]?.trigger).toBe(`hook:${id}`);
    const view = (await (await call("GET", `/v1/runs/${a.runId}`)).json()) as {
      workflowVersion: { source: string; version: number };
    };
    expect(view.workflowVersion).toMatchObject({ source: "tenant", version: 1 });
    // the run input, as stored: the frozen run names its blob
    const redis = testRedis();
    const frozen = JSON.parse((await redis.get<string>(`${env.KEY_PREFIX}:{run:${a.runId}}:def`)) ?? "{}");
    expect(JSON.parse((await redis.get<string>(`${env.KEY_PREFIX}:blob:${frozen.inputRef}`)) ?? "null")).toEqual({
      repo: "Codertocat/Hello-World",
      pr: 2,
      title: "Update the README with new information.",
    });
  });

  it("forgery: a bad signature, a body changed by one byte, or no signature is refused with 401, storing nothing", async () => {
    const { id, name } = await createHook();
    const before = await keysUnderPrefix();
    const wrongKey = await deliver(id, PAYLOAD, await githubHeaders(PAYLOAD, "another secret of 32 characters!"));
    expect(wrongKey.status).toBe(401);
    expect(((await wrongKey.json()) as Problem).type).toBe("https://agent-dag.dev/problems/unauthorized");

    const changed = PAYLOAD.slice();
    const at = new TextDecoder().decode(PAYLOAD).indexOf('"number":2') + '"number":'.length;
    expect(at).toBeGreaterThan(10);
    changed[at] = "3".charCodeAt(0);
    const tampered = await deliver(id, changed, await githubHeaders(PAYLOAD));
    expect(tampered.status).toBe(401);

    const unsigned = await deliver(id, PAYLOAD, { "x-github-event": "pull_request", "x-github-delivery": "d-1" });
    expect(unsigned.status).toBe(401);
    expect(await keysUnderPrefix()).toEqual(before);
    expect(await runsOf(name)).toEqual([]);
  });

  it("ignores events not listed, GitHub's ping, and deliveries whose `when` does not hold: 202, no run", async () => {
    const { id, name } = await createHook({ when: { "/pull_request/base/ref": ["main", "master"] } });
    const issues = await deliver(id, PAYLOAD, await githubHeaders(PAYLOAD, SECRET, "issues"));
    expect(issues.status).toBe(202);
    expect(await issues.json()).toEqual({ ignored: "event issues.opened is not in events" });
    const ping = await deliver(id, PAYLOAD, await githubHeaders(PAYLOAD, SECRET, "ping"));
    expect(await ping.json()).toEqual({ ignored: "ping event" });
    const draft = new TextEncoder().encode(
      JSON.stringify({
        ...pullRequestOpened,
        pull_request: { ...pullRequestOpened.pull_request, base: { ref: "dev" } },
      }),
    );
    const off = await deliver(id, draft, await githubHeaders(draft));
    expect(await off.json()).toEqual({ ignored: "when /pull_request/base/ref does not hold" });
    expect(await runsOf(name)).toEqual([]);
    // the fixture's base branch is master: it passes
    expect((await deliver(id, PAYLOAD, await githubHeaders(PAYLOAD))).status).toBe(202);
  });

  it("names each input pointer the payload lacks (422), starting nothing", async () => {
    const { id, name } = await createHook({
      input: { pr: "/pull_request/number", head: "/pull_request/head/nope", line: "PR {{/pull_request/missing}}" },
    });
    const res = await deliver(id, PAYLOAD, await githubHeaders(PAYLOAD));
    expect(res.status).toBe(422);
    const p = (await res.json()) as Problem;
    expect(p.errors).toEqual([
      { pointer: "/input/head", detail: "the payload has no /pull_request/head/nope" },
      { pointer: "/input/line", detail: "the payload has no /pull_request/missing" },
    ]);
    expect(await runsOf(name)).toEqual([]);
  });

  it("answers 404 for an unknown hook", async () => {
    const res = await deliver(`hk_${"0".repeat(32)}`, PAYLOAD, await githubHeaders(PAYLOAD));
    expect(res.status).toBe(404);
  });
});

describe("webhooks: generic HMAC-SHA256 deliveries", () => {
  async function generic(id: string, body: Uint8Array, timestamp: number, delivery = crypto.randomUUID()) {
    return deliver(id, body, {
      "x-signature-256": await signDelivery(body, SECRET, timestamp),
      "x-signature-timestamp": String(timestamp),
      "x-delivery-id": delivery,
    });
  }

  it("replay: a fresh timestamp starts a run, the same delivery id again none; one older than 300 s, or a body changed by one byte, with 401", async () => {
    const { id, name } = await createHook({ verify: "hmac-sha256", events: undefined });
    const now = Math.floor(Date.now() / 1000);
    const before = await keysUnderPrefix();
    const old = await generic(id, PAYLOAD, now - 301);
    expect(old.status).toBe(401);
    expect(((await old.json()) as Problem).detail).toContain("tolerance window");
    const ts = now;
    const changed = PAYLOAD.slice();
    changed[PAYLOAD.length - 2] = 0x20;
    const tampered = await deliver(id, changed, {
      "x-signature-256": await signDelivery(PAYLOAD, SECRET, ts),
      "x-signature-timestamp": String(ts),
    });
    expect(tampered.status).toBe(401);
    expect(await keysUnderPrefix()).toEqual(before);

    const delivery = crypto.randomUUID();
    const ok = await generic(id, PAYLOAD, now, delivery);
    expect(ok.status).toBe(202);
    const again = await generic(id, PAYLOAD, now + 1, delivery);
    expect(again.status).toBe(200);
    expect((await runsOf(name)).length).toBe(1);
  });
});
