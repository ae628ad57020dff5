import type { DeliveryToken } from "../shared/state/delivery-tokens.js";
import type { Env } from "./env.js";
import type { Services } from "./services.js";

/** Hono typing of the app: bindings and the variables middleware set (declared, not cast). */
export type AppEnv = {
  Bindings: Env;
  Variables: {
    /** Config, engine and receiver for this isolate (set by the first middleware). */
    services: Services;
    /** Tenant of the authenticated API key (set by `apiKeyAuth`). */
    tenant: string;
    /** Raw body of a QStash request, read once for its signature check (set by `qstashSignature`). */
    rawBody: string;
    /** The verified token of a QStash request, for the route to record its single use (set by `qstashSignature`). */
    deliveryToken: DeliveryToken;
  };
};
