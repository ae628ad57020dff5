/**
 * Layering of `shared/`: the run state (`shared/state`) and the queue (`shared/dispatch`) sit below the engine, so
 * they import nothing from `shared/engine`; and nothing in `shared/` imports from the Worker (`functions/`) or the
 * local tooling (`local/`), which build on it. An import is any `import … from`, `export … from` or `import(…)`
 * specifier, resolved against the importing file; findings are reported as `file:line -> target`.
 */
import { readdirSync, readFileSync } from "node:fs";
import { join, posix } from "node:path";
import { describe, expect, it } from "vitest";
import { PROJECT_ROOT } from "../../../local/project-root.js";

/** Folders (relative to the root) that a file under a key may not import from. */
const FORBIDDEN: Record<string, readonly string[]> = {
  "shared/state": ["shared/engine", "functions", "local"],
  "shared/dispatch": ["shared/engine", "functions", "local"],
  shared: ["functions", "local"],
};

/** Every `.ts` file under `dir`, relative to the root. */
function tsFiles(dir: string): string[] {
  return readdirSync(join(PROJECT_ROOT, dir), { withFileTypes: true }).flatMap((e) => {
    const path = posix.join(dir, e.name);
    if (e.isDirectory()) return tsFiles(path);
    return e.isFile() && e.name.endsWith(".ts") ? [path] : [];
  });
}

const SPECIFIER = /(?:\bfrom\s*|\bimport\s*\(\s*|^\s*import\s+)["']([^"']+)["']/g;

/** The relative imports of a file's text: its line and the target, relative to the root. */
function importsOf(file: string, text: string): { line: number; target: string }[] {
  return text.split("\n").flatMap((line, i) =>
    [...line.matchAll(SPECIFIER)]
      .map((m) => m[1] as string)
      .filter((s) => s.startsWith("."))
      .map((s) => ({ line: i + 1, target: posix.normalize(posix.join(posix.dirname(file), s)) })),
  );
}

/** The imports of `file` that break {@link FORBIDDEN}, as `file:line -> target`. */
function violations(file: string, text: string): string[] {
  const rules = Object.entries(FORBIDDEN).filter(([dir]) => file.startsWith(`${dir}/`));
  return importsOf(file, text)
    .filter(({ target }) => rules.some(([, banned]) => banned.some((b) => target === b || target.startsWith(`${b}/`))))
    .map(({ line, target }) => `${file}:${line} -> ${target}`);
}

describe("layering check", () => {
  it("reports an import from the engine in the run state, and from functions/ or local/ anywhere in shared/", () => {
    const text = `import type { A } from "../engine/advance-site.js";\nimport { b } from "../util/hash.js";\n`;
    expect(violations("shared/state/x.ts", text)).toEqual(["shared/state/x.ts:1 -> shared/engine/advance-site.js"]);
    expect(violations("shared/dispatch/lua/y.ts", `export { c } from "../../engine/z.js";`)).toEqual([
      "shared/dispatch/lua/y.ts:1 -> shared/engine/z.js",
    ]);
    expect(violations("shared/engine/x.ts", `const m = await import("../../local/stack.js");`)).toEqual([
      "shared/engine/x.ts:1 -> local/stack.js",
    ]);
  });

  it("allows the engine to import the run state, and the run state its own layer and below", () => {
    expect(violations("shared/engine/x.ts", `import { RunStore } from "../state/run-store.js";`)).toEqual([]);
    expect(violations("shared/state/x.ts", `import { runKeys } from "./keys.js";\nimport "zod";`)).toEqual([]);
  });
});

describe("layering of the repository", () => {
  it("has state and dispatch import nothing from the engine, and shared/ nothing from functions/ or local/", () => {
    const files = tsFiles("shared");
    expect(files).toContain("shared/state/run-store.ts");
    const found = files.flatMap((f) => violations(f, readFileSync(join(PROJECT_ROOT, f), "utf8")));
    expect(found).toEqual([]);
  });
});
