import type { Env } from "../../functions/env.js";

/**
 * The least environment `parseConfig` accepts (Upstash placeholders, one API key `dev-key` of tenant `dev`), for
 * unit tests of the config parser that add only the variables they test. `ENVIRONMENT` is left out: production, the
 * default.
 */
export const MINIMAL_ENV: Env = {
  UPSTASH_REDIS_REST_URL: "http://127.0.0.1:8079",
  UPSTASH_REDIS_REST_TOKEN: "t",
  QSTASH_TOKEN: "q",
  QSTASH_CURRENT_SIGNING_KEY: "sig_a",
  QSTASH_NEXT_SIGNING_KEY: "sig_b",
  API_KEYS: "dev:dev-key",
};
