/**
 * A node's structured output (`output: { schema }`): the JSON Schema its answer must match. The provider is asked for
 * structured output through the AI SDK (shared/providers/ai-sdk-generate.ts), the answer is validated
 * (shared/providers/structured-output.ts), and templates read its fields (`{{nodes.plan.output.files[0].path}}`).
 *
 * Accepted schemas are the subset of JSON Schema (draft-07) that the providers' structured-output modes support and
 * the simulated provider can satisfy: `type`, `properties`, `required`, `additionalProperties` (boolean), `items`
 * (one schema), `minItems`/`maxItems`, `minLength`/`maxLength`, `minimum`/`maximum`, `enum`, `const`, `anyOf`, plus
 * the annotations `$schema`, `title`, `description`. Objects are strict: an unknown keyword (a misspelled
 * `propertys`, or one outside the subset such as `$ref` or `pattern`) is refused, so a schema is never silently read
 * as a looser one. `pattern` is left out on purpose: a user's regular expression run over a model's answer can
 * backtrack for seconds of CPU.
 */
import { z } from "zod";

/** JSON Schema instance types (draft-07 "type" values). */
export const JSON_SCHEMA_TYPES = ["object", "array", "string", "number", "integer", "boolean", "null"] as const;

/** Largest output schema, in characters of its JSON text (ours: far above any real answer shape). */
export const MAX_OUTPUT_SCHEMA_CHARS = 32_000;

/** A JSON Schema of the accepted subset (see the file comment). */
export interface OutputJsonSchema {
  $schema?: string | undefined;
  title?: string | undefined;
  description?: string | undefined;
  type?: (typeof JSON_SCHEMA_TYPES)[number] | (typeof JSON_SCHEMA_TYPES)[number][] | undefined;
  properties?: Record<string, OutputJsonSchema> | undefined;
  required?: string[] | undefined;
  additionalProperties?: boolean | undefined;
  items?: OutputJsonSchema | undefined;
  minItems?: number | undefined;
  maxItems?: number | undefined;
  minLength?: number | undefined;
  maxLength?: number | undefined;
  minimum?: number | undefined;
  maximum?: number | undefined;
  enum?: unknown[] | undefined;
  const?: unknown;
  anyOf?: OutputJsonSchema[] | undefined;
}

const count = z.number().int().min(0).max(1_000_000);
const typeName = z.enum(JSON_SCHEMA_TYPES);

/** zod schema of {@link OutputJsonSchema} (recursive, strict at every level). */
export const outputJsonSchemaSchema: z.ZodType<OutputJsonSchema> = z.lazy(() =>
  z
    .strictObject({
      $schema: z.string().max(2048).optional(),
      title: z.string().max(1000).optional(),
      description: z.string().max(4000).optional(),
      type: z.union([typeName, z.array(typeName).min(1).max(JSON_SCHEMA_TYPES.length)]).optional(),
      properties: z.record(z.string().max(256), outputJsonSchemaSchema).optional(),
      required: z.array(z.string().max(256)).max(1000).optional(),
      additionalProperties: z.boolean().optional(),
      items: outputJsonSchemaSchema.optional(),
      minItems: count.optional(),
      maxItems: count.optional(),
      minLength: count.optional(),
      maxLength: count.optional(),
      minimum: z.number().optional(),
      maximum: z.number().optional(),
      enum: z.array(z.unknown()).min(1).max(1000).optional(),
      const: z.unknown().optional(),
      anyOf: z.array(outputJsonSchemaSchema).min(1).max(100).optional(),
    })
    .superRefine((s, ctx) => {
      if (s.minItems !== undefined && s.maxItems !== undefined && s.minItems > s.maxItems)
        ctx.addIssue({ code: "custom", path: ["maxItems"], message: "maxItems must be >= minItems" });
      if (s.minLength !== undefined && s.maxLength !== undefined && s.minLength > s.maxLength)
        ctx.addIssue({ code: "custom", path: ["maxLength"], message: "maxLength must be >= minLength" });
      if (s.minimum !== undefined && s.maximum !== undefined && s.minimum > s.maximum)
        ctx.addIssue({ code: "custom", path: ["maximum"], message: "maximum must be >= minimum" });
      for (const [i, name] of (s.required ?? []).entries()) {
        if (!s.properties || !Object.hasOwn(s.properties, name))
          ctx.addIssue({ code: "custom", path: ["required", i], message: `required "${name}" is not in properties` });
      }
    }),
);

/**
 * A node's `output` block: `schema` (required) is the JSON Schema its answer must match; at most
 * {@link MAX_OUTPUT_SCHEMA_CHARS} characters of JSON.
 */
export const nodeOutputSchema = z.strictObject({
  schema: outputJsonSchemaSchema.refine((s) => JSON.stringify(s).length <= MAX_OUTPUT_SCHEMA_CHARS, {
    message: `an output schema is at most ${MAX_OUTPUT_SCHEMA_CHARS} characters of JSON`,
  }),
});

/** A parsed `output` block of a node. */
export type NodeOutputSpec = z.output<typeof nodeOutputSchema>;
