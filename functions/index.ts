import { createApp } from "./app.js";
import type { Env } from "./env.js";
import { handleScheduled } from "./scheduled.js";

const app = createApp();

/** Worker entry: HTTP through the Hono app, cron triggers through `handleScheduled` (workflows and the sweeper). */
export default {
  fetch: app.fetch,
  scheduled(controller, env, ctx) {
    ctx.waitUntil(handleScheduled(controller, env));
  },
} satisfies ExportedHandler<Env>;
