import type { HttpValidation } from "../shared/dag/validate.js";
import type { HttpCallPublisher, HttpNodeConfig } from "../shared/http/http-call.js";
import { parseAllowedHosts } from "../shared/http/ssrf-guard.js";

/** The http node settings of {@link Config}: allowlist entries and the secret names header values may read. */
export interface HttpNodeSettings {
  /** `HTTP_NODE_ALLOWED_HOSTS`, parsed (shared/http/ssrf-guard.ts); empty: http nodes are refused. */
  allowedHosts: string[];
  /** `HTTP_NODE_SECRETS`: names of worker secrets (or vars) `{{secrets.NAME}}` may read; empty: none. */
  secretNames: string[];
  /** The worker's own origin (`PUBLIC_URL`), never a destination: QStash would sign a call to it (ssrf-guard.ts). */
  ownOrigins: string[];
}

/** Secret names: an environment binding's name (letters, digits, underscores, not starting with a digit). */
const SECRET_NAME_RE = /^[A-Za-z_][A-Za-z0-9_]{0,127}$/;

/**
 * Parses `HTTP_NODE_ALLOWED_HOSTS` and `HTTP_NODE_SECRETS` (comma-separated), pushing what is wrong onto `problems`
 * (functions/env.ts turns them into one misconfiguration error).
 */
export function parseHttpNodeSettings(
  vars: {
    HTTP_NODE_ALLOWED_HOSTS?: string | undefined;
    HTTP_NODE_SECRETS?: string | undefined;
    PUBLIC_URL?: string | undefined;
  },
  problems: string[],
): HttpNodeSettings {
  let allowedHosts: string[] = [];
  try {
    allowedHosts = parseAllowedHosts(vars.HTTP_NODE_ALLOWED_HOSTS);
  } catch (err) {
    problems.push((err as Error).message);
  }
  const secretNames = (vars.HTTP_NODE_SECRETS ?? "")
    .split(",")
    .map((s) => s.trim())
    .filter(Boolean);
  for (const name of secretNames)
    if (!SECRET_NAME_RE.test(name)) problems.push(`HTTP_NODE_SECRETS entry "${name}" is not a binding name`);
  return { allowedHosts, secretNames, ownOrigins: vars.PUBLIC_URL ? [vars.PUBLIC_URL] : [] };
}

/** The validation rules of http nodes for `POST /v1/runs` (shared/dag/validate.ts `opts.http`). */
export function httpValidation(environment: "production" | "development", settings: HttpNodeSettings): HttpValidation {
  return {
    policy: { environment, allowedHosts: settings.allowedHosts, ownOrigins: settings.ownOrigins },
    secrets: settings.secretNames,
  };
}

/**
 * The engine's http node config: the policy, and the values of the listed secrets read from the worker's bindings
 * (a listed name without a string binding is left out: a header reading it fails its node, naming the secret only).
 */
export function httpNodeConfig(
  environment: "production" | "development",
  settings: HttpNodeSettings,
  env: Readonly<Record<string, unknown>>,
  publisher: HttpCallPublisher,
): HttpNodeConfig {
  const secrets: Record<string, string> = {};
  for (const name of settings.secretNames) {
    const value = env[name];
    if (typeof value === "string" && value !== "") secrets[name] = value;
  }
  return {
    policy: { environment, allowedHosts: settings.allowedHosts, ownOrigins: settings.ownOrigins },
    secrets,
    publisher,
  };
}
