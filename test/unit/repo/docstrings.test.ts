/**
 * No docstring longer than {@link MAX_DOCSTRING_LINES} lines, except a file's module header: a docstring says what,
 * shapes, units, errors and why in a few lines; measurement history belongs in docs/performance.md.
 *
 * The rule, checked on every `.ts` file under functions/, shared/, local/ and test/support/:
 * - a docstring is a `/** … *\/` comment, found with the TypeScript parser (so `/**` inside a string or a glob such
 *   as `"shared/**"` is not one); its length is its lines from the one holding `/**` to the one holding `*\/`;
 * - the module header is the file's first docstring when only imports, blank lines and `//` comments come before it
 *   and it is not attached to a declaration: a blank line follows it, or an import does (a header written before
 *   the imports). It may be of any length.
 * Every other docstring longer than the limit is reported as `file:line` (the line of its `/**`).
 */
import { readdirSync, readFileSync } from "node:fs";
import { join, relative } from "node:path";
import ts from "typescript";
import { describe, expect, it } from "vitest";
import { PROJECT_ROOT } from "../../../local/project-root.js";

/** Most lines a docstring other than a module header may take, `/**` and `*\/` lines included. */
const MAX_DOCSTRING_LINES = 15;

/** Folders scanned, relative to the root. */
const ROOTS = ["functions", "shared", "local", "test/support"];

/** Every `.ts` file under `dir` (absolute paths), node_modules left out. */
function tsFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const path = join(dir, e.name);
    if (e.isDirectory()) return e.name === "node_modules" ? [] : tsFiles(path);
    return e.isFile() && e.name.endsWith(".ts") ? [path] : [];
  });
}

/** A `/** … *\/` comment: its start offset, its end offset and its first line (1-based). */
interface Docstring {
  pos: number;
  end: number;
  line: number;
  lines: number;
}

/** Every docstring of a source text, in order: the leading comments of every token the parser sees. */
function docstrings(text: string): Docstring[] {
  const source = ts.createSourceFile("f.ts", text, ts.ScriptTarget.Latest, true, ts.ScriptKind.TS);
  const found = new Map<number, Docstring>();
  const visit = (node: ts.Node) => {
    for (const c of ts.getLeadingCommentRanges(text, node.getFullStart()) ?? []) {
      if (c.kind !== ts.SyntaxKind.MultiLineCommentTrivia || !text.startsWith("/**", c.pos) || found.has(c.pos)) {
        continue;
      }
      const first = source.getLineAndCharacterOfPosition(c.pos).line;
      const last = source.getLineAndCharacterOfPosition(c.end).line;
      found.set(c.pos, { pos: c.pos, end: c.end, line: first + 1, lines: last - first + 1 });
    }
    for (const child of node.getChildren(source)) visit(child);
  };
  visit(source);
  return [...found.values()].sort((a, b) => a.pos - b.pos);
}

/** Whether `doc`, the first docstring of `text`, is the module header (see the rule above). */
function isModuleHeader(text: string, doc: Docstring): boolean {
  const before = text
    .slice(0, doc.pos)
    .split("\n")
    .map((l) => l.trim());
  // only imports (possibly spread over lines), blank lines and line comments before it
  const source = ts.createSourceFile("f.ts", text.slice(0, doc.pos), ts.ScriptTarget.Latest, false, ts.ScriptKind.TS);
  if (!source.statements.every((s) => ts.isImportDeclaration(s))) return false;
  if (before.some((l) => l.startsWith("/*"))) return false;
  const after = text.slice(doc.end);
  if (/^[ \t]*\r?\n[ \t]*\r?\n/.test(after)) return true; // a blank line follows
  return /^\s*import[\s{*]/.test(after); // a header written before the imports
}

/** The docstrings of one file's text longer than the limit, module header aside, as `file:line (n lines)`. */
function longDocstrings(file: string, text: string, max = MAX_DOCSTRING_LINES): string[] {
  const docs = docstrings(text);
  return docs
    .filter((d, i) => d.lines > max && !(i === 0 && isModuleHeader(text, d)))
    .map((d) => `${file}:${d.line} (${d.lines} lines)`);
}

describe("docstring check", () => {
  const long = (n: number) => `/**\n${" * x\n".repeat(n - 2)} */`;

  it("reports a long docstring on a declaration, by file and line", () => {
    const text = `import { a } from "a";\n\n${long(16)}\nexport const x = a;\n`;
    expect(longDocstrings("f.ts", text)).toEqual(["f.ts:3 (16 lines)"]);
    expect(longDocstrings("f.ts", `${long(15)}\nexport const x = 1;\n`)).toEqual([]);
  });

  it("lets a module header be long: after the imports with a blank line, or before the imports", () => {
    expect(longDocstrings("f.ts", `import { a } from "a";\n\n${long(30)}\n\nexport const x = a;\n`)).toEqual([]);
    expect(longDocstrings("f.ts", `${long(30)}\nimport { a } from "a";\nexport const x = a;\n`)).toEqual([]);
  });

  it("does not take a docstring attached to the first declaration, nor a second block, for a header", () => {
    expect(longDocstrings("f.ts", `${long(16)}\nexport const x = 1;\n`)).toEqual(["f.ts:1 (16 lines)"]);
    const two = `${long(3)}\n\nconst y = 2;\n\n${long(20)}\n\nexport const x = y;\n`;
    expect(longDocstrings("f.ts", two)).toEqual(["f.ts:7 (20 lines)"]);
  });

  it("finds docstrings inside classes and functions, and not `/**` inside strings", () => {
    const inner = `export class C {\n  ${long(16).replaceAll("\n", "\n  ")}\n  m(): void {}\n}\n`;
    expect(longDocstrings("f.ts", `const z = 0;\n${inner}`)).toEqual(["f.ts:3 (16 lines)"]);
    const glob = `const g = "shared/**";\nconst t = \`a /** b\n${"\n".repeat(20)} */\`;\n`;
    expect(docstrings(glob)).toEqual([]);
  });
});

describe("docstrings in the repository", () => {
  it(`are at most ${MAX_DOCSTRING_LINES} lines, module headers aside`, () => {
    const files = ROOTS.flatMap((r) => tsFiles(join(PROJECT_ROOT, r)));
    expect(files.length).toBeGreaterThan(100);
    const findings = files.flatMap((f) => longDocstrings(relative(PROJECT_ROOT, f), readFileSync(f, "utf8")));
    expect(findings).toEqual([]);
  });
});
