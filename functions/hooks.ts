import { type Context, Hono } from "hono";
import { startRun } from "../shared/engine/start-run.js";
import {
  invalidRequest,
  notFound,
  ProblemError,
  payloadTooLarge,
  problem,
  unauthorized,
} from "../shared/errors/problem.js";
import { MAX_IDEMPOTENCY_KEY_CHARS, MAX_TRIGGER_BYTES } from "../shared/schema/trigger.js";
import { readCapped } from "../shared/util/read-capped.js";
import { deliveryEvent, ignoredBecause, mapInput } from "../shared/webhooks/hook-input.js";
import { HOOK_ID_RE, type HookSpec, hookSpecSchema } from "../shared/webhooks/hook-spec.js";
import { MAX_HOOKS_PER_TENANT, type StoredHook } from "../shared/webhooks/hook-store.js";
import { verifySignature } from "../shared/webhooks/signature.js";
import type { AppEnv } from "./app-env.js";
import { jsonBodyLimit, parseJsonBody, parseJsonText } from "./json-body.js";
import { apiKeyAuth } from "./middleware/api-key.js";
import { refuseUnsafeDeployment } from "./middleware/deployment-guard.js";
import { resolveWorkflow } from "./resolve-workflow.js";
import { runStartedResponse } from "./run-started.js";

/** Largest webhook delivery body, bytes (1 MiB, as `POST /v1/runs`; GitHub caps payloads at 25 MB, and drops larger
 * ones; a typical `pull_request` delivery is 20–60 KB). */
export const MAX_HOOK_BODY_BYTES = MAX_TRIGGER_BYTES;

/**
 * `/v1/hooks`: signed webhooks that start runs.
 * - With the API key: `POST /` creates a hook (server-made id `hk_<32 hex>`), `GET /` lists the tenant's,
 *   `GET /:id` reads one, `PUT /:id` replaces one, `DELETE /:id` deletes one. Another tenant's hook is a 404.
 *   The secret is never returned, only `secretHint` (its last 4 characters).
 * - Without it: `POST /:id` is a delivery. The signature over the raw body is the credential
 *   (shared/webhooks/signature.ts); the provider's delivery id is the run's idempotency key.
 */
export const hookRoutes = new Hono<AppEnv>();

/** The hook as reads show it: everything but the secret. */
function view(h: StoredHook): Record<string, unknown> {
  const { secret: _secret, tenant: _tenant, createdAt, updatedAt, ...rest } = h;
  return {
    ...rest,
    createdAt: new Date(createdAt).toISOString(),
    updatedAt: new Date(updatedAt).toISOString(),
    links: { self: `/v1/hooks/${h.id}`, deliveries: `/v1/hooks/${h.id}` },
  };
}

const specLimit = jsonBodyLimit(64 * 1024);

/** The parsed hook body; its workflow must resolve for the tenant now (422 otherwise). */
async function readSpec(c: Context<AppEnv>): Promise<HookSpec> {
  const spec = parseJsonBody(await c.req.text(), hookSpecSchema, { title: "The hook is invalid" });
  await resolveWorkflow(c.get("services").registry, c.get("tenant"), spec.workflow, spec.version);
  return spec;
}

/** The tenant's hook `id`, or 404 (the same for another tenant's and for none). */
async function ownedHook(c: { get: (k: "services" | "tenant") => unknown }, id: string): Promise<StoredHook> {
  const { hooks } = c.get("services") as AppEnv["Variables"]["services"];
  const hook = HOOK_ID_RE.test(id) ? await hooks.get(id) : null;
  if (!hook || hook.tenant !== c.get("tenant")) throw new ProblemError(notFound(`No hook ${id}`));
  return hook;
}

hookRoutes.post("/", apiKeyAuth(), specLimit, async (c) => {
  const { hooks, engine } = c.get("services");
  const spec = await readSpec(c);
  if (await hooks.full(c.get("tenant"))) {
    throw new ProblemError(
      problem("registry-full", `The tenant has ${MAX_HOOKS_PER_TENANT} hooks, the most allowed: delete one first`),
    );
  }
  const id = `hk_${crypto.randomUUID().replaceAll("-", "")}`;
  const now = engine.now();
  const hook = await hooks.save(c.get("tenant"), id, spec, now, now);
  return c.json(view(hook), 201, { Location: `/v1/hooks/${id}` });
});

hookRoutes.get("/", apiKeyAuth(), async (c) => {
  const { hooks } = c.get("services");
  return c.json({ hooks: (await hooks.list(c.get("tenant"))).map(view) });
});

hookRoutes.get("/:id", apiKeyAuth(), async (c) => c.json(view(await ownedHook(c, c.req.param("id")))));

hookRoutes.put("/:id", apiKeyAuth(), specLimit, async (c) => {
  const existing = await ownedHook(c, c.req.param("id"));
  const spec = await readSpec(c);
  const { hooks, engine } = c.get("services");
  return c.json(view(await hooks.save(existing.tenant, existing.id, spec, existing.createdAt, engine.now())));
});

hookRoutes.delete("/:id", apiKeyAuth(), async (c) => {
  const hook = await ownedHook(c, c.req.param("id"));
  await c.get("services").hooks.delete(hook.tenant, hook.id);
  return c.body(null, 204);
});

/**
 * A delivery. Order: size cap, hook lookup (404), signature over the raw bytes (401), JSON (400), event and `when`
 * filters (202 `{ ignored }`), input mapping (422, pointers `/input/<field>`), then the start, idempotent on the
 * delivery id (`X-GitHub-Delivery`; generic: `X-Delivery-Id`, else `Idempotency-Key`): 202 for a new run, 200 with
 * the same run id for a repeat. Every refusal before the start stores nothing.
 */
hookRoutes.post("/:id", refuseUnsafeDeployment(), async (c) => {
  const { hooks, engine, config, registry } = c.get("services");
  const id = c.req.param("id");
  const declared = Number(c.req.header("content-length") ?? "0");
  if (declared > MAX_HOOK_BODY_BYTES) throw new ProblemError(payloadTooLarge(MAX_HOOK_BODY_BYTES));
  const body = c.req.raw.body ? await readCapped(c.req.raw.body, MAX_HOOK_BODY_BYTES) : new Uint8Array();
  if (body === null) throw new ProblemError(payloadTooLarge(MAX_HOOK_BODY_BYTES));
  const hook = HOOK_ID_RE.test(id) ? await hooks.get(id) : null;
  if (!hook) throw new ProblemError(notFound(`No hook ${id}`));
  const refusal = await verifySignature(
    hook.verify,
    c.req.raw.headers,
    body,
    await hooks.openSecret(hook),
    engine.now(),
  );
  if (refusal) throw new ProblemError(unauthorized(`Webhook signature refused: ${refusal}`));

  const payload = parseJsonText(new TextDecoder().decode(body));
  const delivery = deliveryEvent(hook.verify, c.req.raw.headers, payload);
  const ignored = ignoredBecause(hook, delivery, payload);
  if (ignored) return c.json({ ignored }, 202);
  const mapped = mapInput(hook.input, payload);
  if (!mapped.ok) {
    throw new ProblemError(
      invalidRequest(`The delivery lacks fields hook ${id} maps to the run input`, { errors: mapped.errors }),
    );
  }
  const deliveryId =
    hook.verify === "github"
      ? c.req.header("x-github-delivery")
      : (c.req.header("x-delivery-id") ?? c.req.header("idempotency-key"));
  if (deliveryId !== undefined && (deliveryId.length === 0 || deliveryId.length > MAX_IDEMPOTENCY_KEY_CHARS)) {
    throw new ProblemError(
      invalidRequest(`The delivery id must be 1..${MAX_IDEMPOTENCY_KEY_CHARS} characters`, {
        errors: [{ pointer: "", detail: "delivery id header" }],
      }),
    );
  }
  const resolved = await resolveWorkflow(registry, hook.tenant, hook.workflow, hook.version);
  const outcome = await startRun(engine, {
    tenant: hook.tenant,
    workflow: resolved.workflow,
    dag: resolved.dag,
    workflowRef: resolved.ref,
    input: mapped.input,
    simulate: null,
    budget: null,
    idempotencyKey: deliveryId === undefined ? undefined : `${hook.id}\n${deliveryId}`,
    keySpace: "hook",
    trigger: `hook:${hook.id}`,
    baseUrl: config.publicUrl ?? new URL(c.req.url).origin,
  });
  return runStartedResponse(c, outcome);
});
