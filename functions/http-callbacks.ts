import { Hono } from "hono";
import { z } from "zod";
import { problem, problemResponse } from "../shared/errors/problem.js";
import { recordHttpResult } from "../shared/http/http-result.js";
import { qstashCallbackSchema } from "../shared/schema/qstash-callback.js";
import type { AppEnv } from "./app-env.js";

/**
 * `/internal/http/{result,failure}/<run>/<node>/<generation>/<attempt>/<startedAt>/<lease>`: QStash's success and
 * failure callbacks for an http node's call (shared/http/http-call.ts builds the paths). Mounted under
 * `/internal`, so the signature check, its single-use token and the unsafe-deployment guard apply
 * (functions/internal.ts); the path is part of what the signature covers. The callback body is QStash's
 * (docs/upstash-protocols.md B8); shared/http/http-result.ts records it.
 */
export const httpCallbackRoutes = new Hono<AppEnv>();

/** The path segments, checked: a run id, a node id, and the try, attempt and start time as integers. */
const siteSchema = z.object({
  outcome: z.enum(["result", "failure"]),
  runId: z.string().regex(/^run_[0-9a-f]{26}$/),
  nodeId: z.string().min(1).max(128),
  generation: z.coerce.number().int().nonnegative(),
  attempt: z.coerce.number().int().nonnegative(),
  startedAt: z.coerce.number().int().nonnegative(),
  lease: z.string().max(512),
});

/** An answer QStash must not retry (489 + `Upstash-NonRetryable-Error`): the request can never become valid. */
function nonRetryable(detail: string): Response {
  return problemResponse(problem("non-retryable", detail), { "Upstash-NonRetryable-Error": "true" });
}

httpCallbackRoutes.post("/:outcome/:runId/:nodeId/:generation/:attempt/:startedAt/:lease", async (c) => {
  const site = siteSchema.safeParse(c.req.param());
  if (!site.success) return nonRetryable("http callback path does not name an http node's call");
  let raw: unknown;
  try {
    raw = JSON.parse(c.get("rawBody"));
  } catch {
    raw = undefined;
  }
  const cb = qstashCallbackSchema
    .extend({ header: z.record(z.string(), z.array(z.string())).optional(), url: z.string().optional() })
    .safeParse(raw);
  if (!cb.success) return nonRetryable("callback body is not a QStash callback");
  const { deliveryTokens, engine } = c.get("services");
  if (!(await deliveryTokens.claim(deliveryTokens.bind(c.get("deliveryToken"), site.data.runId))))
    return problemResponse(
      problem("replayed-delivery", `Upstash-Signature token ${c.get("deliveryToken").jti} was already used`),
    );
  const outcome = await recordHttpResult(engine, {
    ...site.data,
    status: cb.data.status,
    header: cb.data.header ?? {},
    body: cb.data.body,
    retried: cb.data.retried,
    maxRetries: cb.data.maxRetries,
    url: cb.data.url ?? "",
  });
  return c.json(outcome);
});
