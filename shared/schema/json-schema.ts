/**
 * JSON Schemas of the files users write, generated from the zod schemas with `z.toJSONSchema` so the two never
 * drift: `workflows/workflow.schema.json` (a workflow definition) and `workflows/agents/agent.schema.json` (a
 * bundled agent file). `npm run schema` writes them; a unit test fails when a committed file differs.
 *
 * Draft-07 is the dialect most editors understand (VS Code, JetBrains). Shapes are the input side (`io: "input"`):
 * fields with a default are optional and show it. Refinements zod cannot express (duration syntax, graph rules)
 * are left to the API's validation.
 */
import { z } from "zod";
import { agentFileSchema } from "./agent-file.js";
import { workflowDefinitionSchema } from "./workflow.js";

/** A JSON Schema document (plain JSON). */
export type JsonSchemaDocument = Record<string, unknown>;

function generate(schema: z.ZodType, title: string, description: string): JsonSchemaDocument {
  const { $schema, ...rest } = z.toJSONSchema(schema, { io: "input", target: "draft-7" }) as JsonSchemaDocument;
  return { $schema, title, description, ...rest };
}

/** JSON Schema of a workflow definition (body of `workflow` in `POST /v1/runs`, or a `workflows/*.json` file). */
export function workflowJsonSchema(): JsonSchemaDocument {
  return generate(
    workflowDefinitionSchema,
    "agent-dag workflow",
    "A DAG of LLM agent calls run by agent-dag. Generated from shared/schema/workflow.ts by `npm run schema`.",
  );
}

/** JSON Schema of a bundled agent file (`workflows/agents/<name>.json`). */
export function agentFileJsonSchema(): JsonSchemaDocument {
  return generate(
    agentFileSchema,
    "agent-dag agent profile",
    "A named agent profile nodes can use. Generated from shared/schema/agent-file.ts by `npm run schema`.",
  );
}

/**
 * The generated schema files: path relative to the project root -> JSON text (2-space indent). `npm run schema`
 * formats and writes them; the sync test compares their parsed JSON with the committed files.
 */
export function schemaFiles(): Record<string, string> {
  const text = (doc: JsonSchemaDocument) => `${JSON.stringify(doc, null, 2)}\n`;
  return {
    "workflows/workflow.schema.json": text(workflowJsonSchema()),
    "workflows/agents/agent.schema.json": text(agentFileJsonSchema()),
  };
}
