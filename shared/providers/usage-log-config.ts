import { z } from "zod";

/**
 * zod schema of the `USAGE_LOG` worker var (JSON): where the engine reads back what the provider billed for a call
 * whose answer never reached the run's books (usage-log.ts). One type today: Cloudflare AI Gateway's request logs.
 * - `accountId`, `gatewayId`: the gateway; `apiTokenSecret` (default `CLOUDFLARE_API_TOKEN`): the secret holding
 *   an API token with "AI Gateway Read"; `apiBaseUrl` (default the Cloudflare API's): another root (the local fake);
 * - `providers`: the `anthropic`/`openai-compatible` providers reached through the gateway: only their calls are
 *   tagged and read back; an estimate of any other call stays at its worst case;
 * - `settleSeconds` (1..86,400, default 900): how long after a call's intent it is read; more than the longest
 *   call (the largest node timeout) plus the gateway's log delay, or a running call would be taken for unbilled;
 * - `horizonSeconds` (60..604,800, default 3,600, more than `settleSeconds`): how long after a run's finish the
 *   sweeper keeps trying; an estimate still open then stays at its worst case.
 * Unknown fields are rejected.
 */
export const usageLogConfigSchema = z
  .strictObject({
    type: z.literal("ai-gateway"),
    accountId: z.string().regex(/^[A-Za-z0-9_-]{1,64}$/, "an account id is letters, digits, dashes and underscores"),
    gatewayId: z.string().regex(/^[A-Za-z0-9_-]{1,64}$/, "a gateway id is letters, digits, dashes and underscores"),
    apiTokenSecret: z
      .string()
      .regex(/^[A-Za-z_][A-Za-z0-9_]{0,127}$/, "secret names are letters, digits and underscores")
      .default("CLOUDFLARE_API_TOKEN"),
    apiBaseUrl: z.url().optional(),
    settleSeconds: z.number().int().min(1).max(86_400).default(900),
    horizonSeconds: z.number().int().min(60).max(604_800).default(3_600),
    providers: z
      .array(z.string().regex(/^[a-z0-9][a-z0-9-]{0,63}$/, "provider names are lower-case letters, digits and dashes"))
      .min(1, "name at least one provider reached through the gateway"),
  })
  .refine((c) => c.settleSeconds < c.horizonSeconds, {
    message: "settleSeconds must be less than horizonSeconds, or no estimate is ever settled",
    path: ["settleSeconds"],
  });

/** A validated `USAGE_LOG` (defaults applied). */
export type UsageLogConfig = z.output<typeof usageLogConfigSchema>;

/**
 * Parses the `USAGE_LOG` worker var.
 * @param json the var's text; undefined or blank: no usage log (null).
 * @throws Error naming the field when the text is not JSON or does not match {@link usageLogConfigSchema}.
 */
export function parseUsageLogConfig(json: string | undefined): UsageLogConfig | null {
  if (json === undefined || json.trim() === "") return null;
  let raw: unknown;
  try {
    raw = JSON.parse(json);
  } catch (err) {
    throw new Error(`not JSON: ${(err as Error).message}`);
  }
  const parsed = usageLogConfigSchema.safeParse(raw);
  if (!parsed.success)
    throw new Error(parsed.error.issues.map((i) => `${i.path.join(".") || "(root)"}: ${i.message}`).join("; "));
  return parsed.data;
}
