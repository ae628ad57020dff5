import type { Env as WorkerEnv } from "../../functions/env.js";

declare global {
  namespace Cloudflare {
    interface Env extends WorkerEnv {}
  }
}
