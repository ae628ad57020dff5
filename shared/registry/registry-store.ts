/**
 * The per-tenant registry of workflow definitions and agent profiles, in Redis (registry-keys.ts, lua/registry.ts).
 * A name holds immutable versions 1, 2, …, each a canonical JSON definition with its SHA-256 content hash and
 * creation time; `latest` points at the newest. A PUT whose hash equals the latest version's stores nothing and
 * answers that version. Tenants never share keys: every key carries the tenant in its hash tag.
 */
import type { Redis } from "@upstash/redis";
import { hmgetValues } from "../util/hmget-values.js";
import { LuaScripts } from "../util/lua-scripts.js";
import { REGISTRY_DELETE_LUA, REGISTRY_GET_LUA, REGISTRY_PUT_LUA } from "./lua/registry.js";
import { type RegistryKind, registryKeys } from "./registry-keys.js";
import { MAX_REGISTRY_BYTES, MAX_REGISTRY_ENTRIES, MAX_REGISTRY_VERSIONS } from "./registry-limits.js";

/** One stored version: `definition` is its canonical JSON text; `createdAt` ms since epoch. */
export interface RegistryVersion {
  name: string;
  version: number;
  /** SHA-256 of `definition`, 64 lowercase hex. */
  hash: string;
  createdAt: number;
  definition: string;
}

/** One name in a listing: its latest version and the summary stored with it (parsed JSON). */
export interface RegistrySummary {
  name: string;
  version: number;
  hash: string;
  createdAt: number;
  summary: Record<string, unknown>;
}

/** Answer of {@link RegistryStore.put}: the version (new, or the latest when identical), or the cap that refused it. */
export type RegistryPut =
  | { ok: true; version: number; created: boolean; createdAt: number }
  | { ok: false; cap: "entries" | "bytes" };

/** Caps of a registry (defaults: registry-limits.ts). */
export interface RegistryCaps {
  entries: number;
  versions: number;
  bytes: number;
}

/** The slice of the Upstash Redis client the store uses (created with `automaticDeserialization: false`). */
export type RegistryRedis = Pick<Redis, "createScript" | "pipeline" | "zrange">;

/** Per-tenant registry in Redis (see the module header). */
export class RegistryStore {
  private readonly scripts: LuaScripts<"put" | "get" | "delete">;

  /**
   * @param redis Upstash Redis client created with `automaticDeserialization: false`.
   * @param prefix key prefix (config `KEY_PREFIX`).
   * @param caps entry, version and byte caps per tenant and kind.
   */
  constructor(
    private readonly redis: RegistryRedis,
    private readonly prefix: string,
    private readonly caps: RegistryCaps = {
      entries: MAX_REGISTRY_ENTRIES,
      versions: MAX_REGISTRY_VERSIONS,
      bytes: MAX_REGISTRY_BYTES,
    },
  ) {
    this.scripts = new LuaScripts(redis, { put: REGISTRY_PUT_LUA, get: REGISTRY_GET_LUA, delete: REGISTRY_DELETE_LUA });
  }

  /**
   * Stores `definition` (canonical JSON, already validated) as the next version of `name`, unless the latest
   * version has the same `hash`. One script: atomic against a concurrent PUT of the same tenant.
   * @param summary what listings show of this version (e.g. description, capabilities).
   * @param now creation time, ms since epoch.
   */
  async put(
    kind: RegistryKind,
    tenant: string,
    name: string,
    entry: { definition: string; hash: string; summary: Record<string, unknown>; now: number },
  ): Promise<RegistryPut> {
    const k = registryKeys(this.prefix, tenant, kind);
    const [version, created, at] = await this.scripts.exec(
      "put",
      [k.names, k.bytes, k.entry(name)],
      [
        name,
        entry.hash,
        entry.definition,
        entry.now,
        JSON.stringify(entry.summary),
        this.caps.entries,
        this.caps.versions,
        this.caps.bytes,
      ],
    );
    if (Number(version) === 0) return { ok: false, cap: created === "bytes" ? "bytes" : "entries" };
    return { ok: true, version: Number(version), created: Number(created) === 1, createdAt: Number(at) };
  }

  /**
   * One version of `name` (the latest when `version` is undefined), or null when the name, or that version, does
   * not exist (deleted, or pruned past the versions kept).
   */
  async get(kind: RegistryKind, tenant: string, name: string, version?: number): Promise<RegistryVersion | null> {
    return (await this.getMany(kind, tenant, [{ name, version }]))[0] ?? null;
  }

  /**
   * The wanted version of each name in one script (all keys of a tenant share a hash slot).
   * @returns one entry per request, in order: the version or null.
   */
  async getMany(
    kind: RegistryKind,
    tenant: string,
    wanted: readonly { name: string; version?: number | undefined }[],
  ): Promise<(RegistryVersion | null)[]> {
    if (wanted.length === 0) return [];
    const k = registryKeys(this.prefix, tenant, kind);
    const reply = await this.scripts.exec(
      "get",
      [k.names, k.bytes, ...wanted.map((w) => k.entry(w.name))],
      wanted.map((w) => (w.version === undefined ? "" : String(w.version))),
    );
    return wanted.map((w, i) => {
      const version = Number(reply[i * 3]);
      if (!version) return null;
      const [hash = "", at = "0"] = String(reply[i * 3 + 1]).split("|");
      return { name: w.name, version, hash, createdAt: Number(at), definition: String(reply[i * 3 + 2]) };
    });
  }

  /** Every name of the tenant with its latest version, sorted by name (at most the entry cap, one pipeline). */
  async list(kind: RegistryKind, tenant: string): Promise<RegistrySummary[]> {
    const k = registryKeys(this.prefix, tenant, kind);
    const names = (await this.redis.zrange(k.names, 0, -1)) as string[];
    if (names.length === 0) return [];
    const p = this.redis.pipeline();
    for (const name of names) p.hmget(k.entry(name), "latest", "summary");
    const rows = (await p.exec()) as unknown[];
    const out: RegistrySummary[] = [];
    names.forEach((name, i) => {
      const [latest, summary] = hmgetValues(rows[i], ["latest", "summary"]);
      const m = typeof latest === "string" ? /^(\d+)\|([0-9a-f]+)\|(\d+)$/.exec(latest) : null;
      if (!m) return;
      out.push({
        name,
        version: Number(m[1]),
        hash: m[2] as string,
        createdAt: Number(m[3]),
        summary: typeof summary === "string" ? (JSON.parse(summary) as Record<string, unknown>) : {},
      });
    });
    return out;
  }

  /** Deletes `name` and all its versions. @returns whether it existed. */
  async delete(kind: RegistryKind, tenant: string, name: string): Promise<boolean> {
    const k = registryKeys(this.prefix, tenant, kind);
    // the script answers an integer, not a list
    const removed: unknown = await this.scripts.exec("delete", [k.names, k.bytes, k.entry(name)], [name]);
    return Number(removed) === 1;
  }
}
