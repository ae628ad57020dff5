import { createApp } from "./app.js";
import type { Env } from "./env.js";
import { runScheduled } from "./scheduled.js";

const app = createApp();

/** Worker entry: HTTP through the Hono app, cron triggers through `runScheduled`. */
export default {
  fetch: app.fetch,
  scheduled(controller, env, ctx) {
    ctx.waitUntil(
      runScheduled(controller, env).then(
        (ids) => console.log(`cron ${controller.cron}: started ${ids.length} run(s) ${ids.join(" ")}`),
        (err: unknown) => console.error(`cron ${controller.cron} failed`, err),
      ),
    );
  },
} satisfies ExportedHandler<Env>;
