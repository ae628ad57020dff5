import { existsSync, readdirSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { agentFileSchema } from "../../../shared/schema/agent-file.js";
import { agentFileJsonSchema, schemaFiles, workflowJsonSchema } from "../../../shared/schema/json-schema.js";

const ROOT = fileURLToPath(new URL("../../../", import.meta.url));
const readJson = (path: string): Record<string, unknown> => JSON.parse(readFileSync(join(ROOT, path), "utf8"));

type ObjectSchema = { required?: string[]; properties: Record<string, { default?: unknown; items?: ObjectSchema }> };

describe("JSON Schemas of workflow and agent files", () => {
  it.each(Object.entries(schemaFiles()))("%s is what the zod schema generates (run `npm run schema`)", (path, text) => {
    expect(readJson(path)).toEqual(JSON.parse(text));
  });

  it("lets a minimal workflow leave out agents, node agents and every defaulted field", () => {
    const schema = workflowJsonSchema() as unknown as ObjectSchema;
    expect(schema.required).toEqual(["name", "nodes"]);
    expect(Object.keys(schema.properties)).toContain("$schema");
    const node = schema.properties.nodes!.items!;
    // prompt is required of every kind but http: the schema's refinement says so, not `required`
    expect(node.required).toEqual(["id"]);
    expect(node.properties.agent!.default).toBe("assistant");
    expect((agentFileJsonSchema() as unknown as ObjectSchema).required).toEqual(["name"]);
  });

  it("is named by every bundled workflow and agent file, with a path that resolves", () => {
    const files = [
      ...readdirSync(join(ROOT, "workflows"))
        .filter((f) => f.endsWith(".json") && !f.endsWith(".schema.json"))
        .map((f) => [`workflows/${f}`, "./workflow.schema.json"]),
      ...readdirSync(join(ROOT, "workflows/agents"))
        .filter((f) => f.endsWith(".json") && !f.endsWith(".schema.json"))
        .map((f) => [`workflows/agents/${f}`, "./agent.schema.json"]),
    ];
    expect(files.length).toBeGreaterThanOrEqual(6);
    for (const [path, ref] of files) {
      const $schema = readJson(path!).$schema;
      expect($schema, path).toBe(ref);
      expect(existsSync(join(ROOT, dirname(path!), ref!)), path).toBe(true);
    }
  });
});

describe("agentFileSchema", () => {
  it("accepts a named profile with $schema and rejects unknown keys and bad names", () => {
    expect(agentFileSchema.parse({ $schema: "./agent.schema.json", name: "critic", temperature: 0 })).toEqual({
      $schema: "./agent.schema.json",
      name: "critic",
      capabilities: [],
      temperature: 0,
    });
    // the planner's fields (registry-agent.ts rules): a description and distinct capability tags
    const planned = { name: "critic", description: "Critiques drafts.", capabilities: ["critique", "review"] };
    expect(agentFileSchema.parse(planned)).toEqual(planned);
    expect(agentFileSchema.safeParse({ name: "critic", capabilities: ["Review"] }).success).toBe(false);
    expect(agentFileSchema.safeParse({ name: "critic", capabilities: ["a", "a"] }).success).toBe(false);
    expect(agentFileSchema.safeParse({ name: "critic", temprature: 0 }).success).toBe(false);
    expect(agentFileSchema.safeParse({ name: "-critic" }).success).toBe(false);
    expect(agentFileSchema.safeParse({ system: "no name" }).success).toBe(false);
  });
});
