import { type Context, Hono } from "hono";
import { invalidRequest, notFound, ProblemError, problem } from "../shared/errors/problem.js";
import type { RegistryKind } from "../shared/registry/registry-keys.js";
import { MAX_REGISTRY_BYTES, MAX_REGISTRY_ENTRIES } from "../shared/registry/registry-limits.js";
import { MAX_TRIGGER_BYTES } from "../shared/schema/trigger.js";
import { canonicalJson, sha256Hex } from "../shared/util/hash.js";
import type { AppEnv } from "./app-env.js";
import { jsonBodyLimit, parseJsonText } from "./json-body.js";
import { apiKeyAuth } from "./middleware/api-key.js";

/** What differs between the workflow and the agent registry routes. */
export interface RegistryRouteSpec {
  kind: RegistryKind;
  /** Path segment and listing key: `workflows` or `agents`. */
  collection: string;
  /** Pattern of a name, and its message for problems. */
  nameRe: RegExp;
  nameRule: string;
  /** Largest canonical definition, bytes. */
  maxBytes: number;
  /**
   * Validates a PUT body for `name`.
   * @returns the value to store (canonical JSON is taken of it) and the summary listings show.
   * @throws ProblemError 422 naming the field.
   */
  validate(
    c: Context<AppEnv>,
    raw: unknown,
    name: string,
  ): Promise<{ value: unknown; summary: Record<string, unknown> }>;
  /** The bundled entries (read-only defaults) by name, with their listing summaries. */
  bundled(): ReadonlyMap<string, { value: unknown; summary: Record<string, unknown> }>;
}

const iso = (ms: number): string => new Date(ms).toISOString();

/**
 * Routes of one registry (`/v1/workflows` or `/v1/agents`), behind the API key: `GET /` lists the tenant's entries and
 * the bundled ones it does not override, sorted by name; `GET /:name[?version=n]` reads one; `PUT /:name` stores a
 * new immutable version (201) or answers the identical latest one (200); `DELETE /:name` deletes the tenant's entry
 * with all its versions (204). A tenant's entry of a bundled name overrides it for that tenant; the bundled entry
 * itself is read-only (409 `registry-read-only`).
 */
export function registryRoutes(spec: RegistryRouteSpec): Hono<AppEnv> {
  const routes = new Hono<AppEnv>();
  routes.use("*", apiKeyAuth());

  const checkName = (name: string): void => {
    if (!spec.nameRe.test(name)) {
      throw new ProblemError(
        invalidRequest(`Invalid name "${name.slice(0, 80)}": ${spec.nameRule}`, {
          errors: [{ pointer: "", detail: `path parameter name: ${spec.nameRule}` }],
        }),
      );
    }
  };

  routes.get("/", async (c) => {
    const { registry } = c.get("services");
    const own = await registry.list(spec.kind, c.get("tenant"));
    const entries: Record<string, unknown>[] = own.map((e) => ({
      name: e.name,
      source: "tenant",
      version: e.version,
      hash: e.hash,
      createdAt: iso(e.createdAt),
      ...e.summary,
    }));
    const taken = new Set(own.map((e) => e.name));
    for (const [name, b] of spec.bundled()) {
      if (taken.has(name)) continue;
      const hash = await sha256Hex(canonicalJson(b.value));
      entries.push({ name, source: "bundled", version: null, hash, createdAt: null, ...b.summary });
    }
    entries.sort((a, b) => (String(a.name) < String(b.name) ? -1 : 1));
    return c.json({ [spec.collection]: entries });
  });

  routes.get("/:name", async (c) => {
    const name = c.req.param("name");
    checkName(name);
    const rawVersion = c.req.query("version");
    let version: number | undefined;
    if (rawVersion !== undefined) {
      version = Number(rawVersion);
      if (!/^[1-9][0-9]{0,8}$/.test(rawVersion)) {
        throw new ProblemError(
          invalidRequest("version must be a positive integer", {
            errors: [{ pointer: "/version", detail: "query parameter version" }],
          }),
        );
      }
    }
    const { registry } = c.get("services");
    const entry = await registry.get(spec.kind, c.get("tenant"), name, version);
    if (entry) {
      return c.json({
        name,
        source: "tenant",
        version: entry.version,
        hash: entry.hash,
        createdAt: iso(entry.createdAt),
        definition: JSON.parse(entry.definition),
      });
    }
    const bundled = spec.bundled().get(name);
    // no tenant entry (a latest read found none): the bundled default, which has no versions
    if (bundled && version === undefined) {
      const hash = await sha256Hex(canonicalJson(bundled.value));
      return c.json({ name, source: "bundled", version: null, hash, createdAt: null, definition: bundled.value });
    }
    const which = version === undefined ? "" : ` version ${version}`;
    throw new ProblemError(notFound(`No ${spec.kind} ${name}${which}`, { instance: c.req.path }));
  });

  routes.put("/:name", jsonBodyLimit(MAX_TRIGGER_BYTES), async (c) => {
    const name = c.req.param("name");
    checkName(name);
    const raw = parseJsonText(await c.req.text());
    const { value, summary } = await spec.validate(c, raw, name);
    const definition = canonicalJson(value);
    const bytes = new TextEncoder().encode(definition).byteLength;
    if (bytes > spec.maxBytes) {
      throw new ProblemError(
        problem("payload-too-large", `A stored ${spec.kind} is at most ${spec.maxBytes} bytes (this one: ${bytes})`, {
          errors: [{ pointer: "", detail: `canonical JSON of ${bytes} bytes` }],
        }),
      );
    }
    const { registry, engine } = c.get("services");
    const hash = await sha256Hex(definition);
    const put = await registry.put(spec.kind, c.get("tenant"), name, {
      definition,
      hash,
      summary,
      now: engine.now(),
    });
    if (!put.ok) {
      throw new ProblemError(
        problem(
          "registry-full",
          put.cap === "entries"
            ? `The tenant has ${MAX_REGISTRY_ENTRIES} ${spec.collection}, the most allowed: delete one first`
            : `The tenant's ${spec.collection} would pass ${MAX_REGISTRY_BYTES} bytes: delete some first`,
        ),
      );
    }
    const self = `/v1/${spec.collection}/${name}?version=${put.version}`;
    return c.json(
      { name, version: put.version, hash, createdAt: iso(put.createdAt), created: put.created, links: { self } },
      put.created ? 201 : 200,
      { Location: self },
    );
  });

  routes.delete("/:name", async (c) => {
    const name = c.req.param("name");
    checkName(name);
    const { registry } = c.get("services");
    if (await registry.delete(spec.kind, c.get("tenant"), name)) return c.body(null, 204);
    if (spec.bundled().has(name)) {
      throw new ProblemError(
        problem("registry-read-only", `"${name}" is a bundled ${spec.kind}: it cannot be deleted`, {
          instance: c.req.path,
        }),
      );
    }
    throw new ProblemError(notFound(`No ${spec.kind} ${name}`, { instance: c.req.path }));
  });

  return routes;
}
