/**
 * The dashboard's entry point (bundled by local/build-dashboard.ts into dashboard/dist/app.js, served by the worker
 * as a static asset): the top bar, sign-in with an API key, and hash routing between the runs list (`#/runs`) and a
 * run's page (`#/runs/<runId>`). Every data request goes to this origin's `/v1` API with the key as Bearer token.
 */
import { RunClient } from "../../shared/client/run-client.js";
import { runEventSource } from "../../shared/client/run-event-stream.js";
import { sseRunFeed } from "../../shared/client/run-feed.js";
import { clearApiKey, maskKey, storeApiKey, storedApiKey } from "./auth.js";
import { h, replaceChildren } from "./dom.js";
import { parseRoute } from "./run-model.js";
import { mountRunPage } from "./run-page.js";
import { mountRunsPage } from "./runs-page.js";

const app = document.getElementById("app") as HTMLElement;
const toasts = h("div", { class: "toasts", role: "status", "aria-live": "polite" });
document.body.append(toasts);
let unmount: (() => void) | null = null;

function toast(text: string, kind: "error" | "ok" = "ok"): void {
  const el = h("div", { class: `toast ${kind}` }, text);
  toasts.append(el);
  setTimeout(() => el.remove(), kind === "error" ? 8000 : 3000);
}

function clientFor(key: string): RunClient {
  return new RunClient({ baseUrl: location.origin, apiKey: key });
}

function signOut(message?: string): void {
  clearApiKey();
  route(message);
}

function topBar(key: string | null): HTMLElement {
  return h(
    "header",
    { class: "topbar" },
    h("a", { class: "brand", href: "#/runs" }, h("span", { class: "logo" }, "◆"), "agent-dag"),
    key ? h("nav", {}, h("a", { href: "#/runs" }, "Runs")) : null,
    h("div", { class: "spacer" }),
    key
      ? h(
          "div",
          { class: "who" },
          h("span", { class: "muted small mono" }, `key ${maskKey(key)}`),
          h("button", { class: "btn ghost small", type: "button", onclick: () => signOut() }, "Sign out"),
        )
      : null,
  );
}

function signInPage(message?: string): HTMLElement {
  const input = h("input", {
    type: "password",
    name: "apiKey",
    placeholder: "API key",
    autocomplete: "off",
    required: true,
    autofocus: true,
  });
  const error = h("p", { class: "error small" }, message ?? "");
  const form = h(
    "form",
    { class: "card signin" },
    h("h1", {}, "Sign in"),
    h("p", { class: "muted" }, "Enter an API key of this deployment (API_KEYS). It stays in this tab only."),
    input,
    error,
    h("button", { class: "btn primary", type: "submit" }, "Sign in"),
  );
  form.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    const key = input.value.trim();
    if (key === "") return;
    try {
      await clientFor(key).list({ limit: 1 });
      storeApiKey(key);
      if (!location.hash || location.hash === "#/") location.hash = "#/runs";
      route();
    } catch (err) {
      error.textContent =
        (err as { status?: number }).status === 401
          ? "This key was refused (401)."
          : `Could not reach the API: ${(err as Error).message}`;
    }
  });
  return form;
}

function route(message?: string): void {
  unmount?.();
  unmount = null;
  const key = storedApiKey();
  const main = h("main", {});
  replaceChildren(app, topBar(key), main);
  if (!key) {
    main.append(signInPage(message));
    return;
  }
  const client = clientFor(key);
  const expired = () => signOut("The API key was refused (401); sign in again.");
  const r = parseRoute(location.hash);
  if (r.page === "run") {
    // server-sent events read with fetch, so the key travels in the Authorization header (docs/dashboard.md)
    const events = runEventSource({ baseUrl: location.origin, apiKey: key });
    const feed = sseRunFeed(client, events, { activeIntervalMs: 500, idleIntervalMs: 15_000 });
    unmount = mountRunPage(main, r.runId, { client, feed, toast, onUnauthorized: expired });
  } else {
    unmount = mountRunsPage(main, client, expired);
  }
}

window.addEventListener("hashchange", () => route());
route();
