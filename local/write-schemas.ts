/**
 * `npm run schema`: regenerates the JSON Schemas of workflow and agent files from the zod schemas
 * (shared/schema/json-schema.ts), formats them with the project's Biome (so `npm run lint` passes) and writes them
 * under workflows/. Prints each path and whether it changed.
 */
import "./require-node.js";
import { spawnSync } from "node:child_process";
import { readFileSync, realpathSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { schemaFiles } from "../shared/schema/json-schema.js";
import { PROJECT_ROOT } from "./project-root.js";

/**
 * `text` as Biome formats the file at `path` (relative to the project root).
 * @throws Error when Biome fails.
 */
function biomeFormat(path: string, text: string): string {
  const biome = realpathSync(join(PROJECT_ROOT, "node_modules", ".bin", "biome"));
  const res = spawnSync(process.execPath, [biome, "format", `--stdin-file-path=${path}`], {
    cwd: PROJECT_ROOT,
    input: text,
    encoding: "utf8",
  });
  if (res.status !== 0) throw new Error(`biome format ${path} failed: ${res.stderr || res.error?.message}`);
  return res.stdout;
}

for (const [path, generated] of Object.entries(schemaFiles())) {
  const file = join(PROJECT_ROOT, path);
  const text = biomeFormat(path, generated);
  let before: string | null = null;
  try {
    before = readFileSync(file, "utf8");
  } catch {
    // not written yet
  }
  if (before === text) {
    process.stdout.write(`${path}: up to date\n`);
    continue;
  }
  writeFileSync(file, text);
  process.stdout.write(`${path}: written\n`);
}
