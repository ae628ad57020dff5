/**
 * Webhooks in Redis. A hook's id is global (`hk_` + 32 random hex, made on create), so an unauthenticated delivery
 * to `POST /v1/hooks/:id` finds it without a tenant: one key `<prefix>:hook:<id>` holds the hook as JSON, tenant
 * included; `<prefix>:hooks:<tenant>` is the set of a tenant's ids, for listings and the per-tenant cap. The secret is
 * sealed with the deployment's keyring (`CACHE_ENCRYPTION_KEYS`, AES-256-GCM, associated data `hook:<id>`) when one
 * is configured, and stored as given otherwise; no read route ever returns it, only its last 4 characters.
 */
import type { Redis } from "@upstash/redis";
import { base64ToBytes, bytesToBase64 } from "../crypto/base64.js";
import type { EncryptionKeyring } from "../crypto/keyring.js";
import type { HookSpec } from "./hook-spec.js";

/** Most hooks per tenant (ours). Checked before a create: two racing creates may pass it by one. */
export const MAX_HOOKS_PER_TENANT = 100;

/** The stored secret: sealed under a keyring key, or as given when no keyring is configured. */
export type StoredSecret = { kid: string; iv: string; ciphertext: string } | { plain: string };

/** A stored hook: the spec without its secret, plus ownership, the sealed secret and times (ms since epoch). */
export interface StoredHook extends Omit<HookSpec, "secret"> {
  id: string;
  tenant: string;
  secret: StoredSecret;
  /** Last 4 characters of the secret, shown by reads so a user can tell which secret is set. */
  secretHint: string;
  createdAt: number;
  updatedAt: number;
}

/** The slice of the Upstash Redis client the store uses (created with `automaticDeserialization: false`). */
export type HookRedis = Pick<Redis, "get" | "pipeline" | "scard" | "smembers" | "mget">;

const UTF8 = new TextEncoder();

/** Webhooks of every tenant (see the module header). */
export class HookStore {
  /**
   * @param redis Upstash Redis client created with `automaticDeserialization: false`.
   * @param prefix key prefix (config `KEY_PREFIX`).
   * @param keyring seals secrets at rest; undefined stores them as given.
   */
  constructor(
    private readonly redis: HookRedis,
    private readonly prefix: string,
    private readonly keyring: EncryptionKeyring | undefined,
  ) {}

  private hookKey(id: string): string {
    return `${this.prefix}:hook:${id}`;
  }

  private tenantKey(tenant: string): string {
    return `${this.prefix}:hooks:${tenant}`;
  }

  /** Whether the tenant already has {@link MAX_HOOKS_PER_TENANT} hooks. */
  async full(tenant: string): Promise<boolean> {
    return Number(await this.redis.scard(this.tenantKey(tenant))) >= MAX_HOOKS_PER_TENANT;
  }

  /**
   * Stores `spec` as hook `id` of `tenant` (create or replace; the caller checked ownership), the secret sealed.
   * @param createdAt the hook's creation time (kept on replace), ms.
   */
  async save(tenant: string, id: string, spec: HookSpec, createdAt: number, now: number): Promise<StoredHook> {
    const { secret, ...rest } = spec;
    const hook: StoredHook = {
      ...rest,
      id,
      tenant,
      secret: await this.seal(id, secret),
      secretHint: secret.slice(-4),
      createdAt,
      updatedAt: now,
    };
    const p = this.redis.pipeline();
    p.set(this.hookKey(id), JSON.stringify(hook));
    p.sadd(this.tenantKey(tenant), id);
    await p.exec();
    return hook;
  }

  /** Hook `id` of any tenant, or null. */
  async get(id: string): Promise<StoredHook | null> {
    const raw = await this.redis.get<string>(this.hookKey(id));
    return raw ? (JSON.parse(raw) as StoredHook) : null;
  }

  /** The tenant's hooks, sorted by id. */
  async list(tenant: string): Promise<StoredHook[]> {
    const ids = ((await this.redis.smembers(this.tenantKey(tenant))) as string[]).sort();
    if (ids.length === 0) return [];
    const raws = (await this.redis.mget<(string | null)[]>(...ids.map((id) => this.hookKey(id)))) ?? [];
    return raws.flatMap((raw) => (raw ? [JSON.parse(raw) as StoredHook] : []));
  }

  /** Deletes hook `id` (the caller checked ownership). */
  async delete(tenant: string, id: string): Promise<void> {
    const p = this.redis.pipeline();
    p.srem(this.tenantKey(tenant), id);
    p.del(this.hookKey(id));
    await p.exec();
  }

  /**
   * The hook's secret in clear.
   * @throws DecryptError when its key is no longer in the keyring, or the stored value was altered;
   *   Error when it is sealed but no keyring is configured.
   */
  async openSecret(hook: StoredHook): Promise<string> {
    if ("plain" in hook.secret) return hook.secret.plain;
    if (!this.keyring) throw new Error(`hook ${hook.id}: secret is encrypted but CACHE_ENCRYPTION_KEYS is not set`);
    const { kid, iv, ciphertext } = hook.secret;
    const clear = await this.keyring.decrypt(
      { kid, iv: base64ToBytes(iv), ciphertext: base64ToBytes(ciphertext) },
      UTF8.encode(`hook:${hook.id}`),
    );
    return new TextDecoder().decode(clear);
  }

  private async seal(id: string, secret: string): Promise<StoredSecret> {
    if (!this.keyring) return { plain: secret };
    const s = await this.keyring.encrypt(UTF8.encode(secret), UTF8.encode(`hook:${id}`));
    return { kid: s.kid, iv: bytesToBase64(s.iv), ciphertext: bytesToBase64(s.ciphertext) };
  }
}
