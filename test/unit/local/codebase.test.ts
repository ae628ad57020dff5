import { mkdir, mkdtemp, rm, symlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { fileSection, formatBytes, MAX_FILE_BYTES, MAX_TOTAL_BYTES, readCodebase } from "../../../local/codebase";

let root: string;

async function put(path: string, content: string | Buffer): Promise<void> {
  const abs = join(root, path);
  await mkdir(join(abs, ".."), { recursive: true });
  await writeFile(abs, content);
}

beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), "agent-dag-codebase-"));
});

afterEach(async () => {
  await rm(root, { recursive: true, force: true });
});

describe("readCodebase", () => {
  it("includes text files in sorted path order, wrapped in <file> tags", async () => {
    await put("src/b.ts", "export const b = 2;\n");
    await put("src/a.ts", "export const a = 1;");
    await put("README.md", "# demo\n");
    await put("src-extra.ts", "x\n"); // '-' sorts before '/': src-extra.ts comes before src/a.ts

    const input = await readCodebase(root, { name: "demo" });

    expect(input.repo).toBe("demo");
    expect(input.files).toBe(
      fileSection("README.md", "# demo\n") +
        fileSection("src-extra.ts", "x\n") +
        fileSection("src/a.ts", "export const a = 1;") +
        fileSection("src/b.ts", "export const b = 2;\n"),
    );
    expect(fileSection("src/a.ts", "x")).toBe('<file path="src/a.ts">\nx\n</file>\n');
    expect(input.omitted).toBe("nothing omitted");
    expect(input.stats.filesSeen).toBe(4);
    expect(input.stats.filesIncluded).toBe(4);
    expect(input.stats.filesTextBytes).toBe(Buffer.byteLength(input.files));
  });

  it("gives the same result for the same tree (deterministic)", async () => {
    for (const name of ["z.ts", "m/k.ts", "a.ts", "m/a.ts"]) await put(name, `// ${name}\n`);
    const first = await readCodebase(root);
    const second = await readCodebase(root);
    expect(second).toEqual(first);
    expect(first.tree.split("\n")).toEqual(["a.ts (8 B)", "m/", "  a.ts (10 B)", "  k.ts (10 B)", "z.ts (8 B)"]);
  });

  it("skips node_modules, .git, dist and friends without walking them, and says so", async () => {
    await put("index.ts", "1\n");
    await put("node_modules/pkg/index.js", "module.exports = 1;\n");
    await put(".git/HEAD", "ref: refs/heads/main\n");
    await put("dist/out.js", "compiled\n");
    await put(".wrangler/state/x", "x\n");

    const input = await readCodebase(root);

    expect(input.stats.filesSeen).toBe(1);
    expect(input.files).not.toContain("module.exports");
    expect(input.stats.skippedDirs).toEqual([".git", ".wrangler", "dist", "node_modules"]);
    expect(input.omitted).toBe(
      ".git, .wrangler, dist, node_modules skipped (dependencies, build output, version control)",
    );
    expect(input.tree).toContain("node_modules/ (skipped)");
  });

  it("leaves out binary files (NUL byte), lock files and possible secrets", async () => {
    await put("a.ts", "ok\n");
    await put("logo.png", Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x00, 0x01, 0x02]));
    await put("package-lock.json", '{"lockfileVersion":3}\n');
    await put(".env", "API_KEY=hunter2\n");
    await put(".dev.vars", "TOKEN=abc\n");

    const input = await readCodebase(root);

    expect(input.stats.filesIncluded).toBe(1);
    expect(input.files).not.toContain("hunter2");
    expect(input.files).not.toContain("lockfileVersion");
    expect(input.stats.omittedByReason).toMatchObject({ binary: 1, "lock-file": 1, secret: 2 });
    expect(input.omitted.split("\n")).toEqual([
      "1 binary file: logo.png",
      "1 lock file: package-lock.json",
      "2 files that may hold secrets (never read): .dev.vars, .env",
    ]);
    expect(input.tree).toContain("logo.png (7 B, omitted: binary)");
  });

  it("reports a large binary as binary, not as too large", async () => {
    const big = Buffer.alloc(MAX_FILE_BYTES + 10, 0x41);
    big[100] = 0;
    await put("blob.bin", big);
    const input = await readCodebase(root);
    expect(input.stats.omittedByReason.binary).toBe(1);
    expect(input.stats.omittedByReason["too-large"]).toBe(0);
  });

  it("leaves out files over the per-file limit", async () => {
    await put("big.txt", "x".repeat(101));
    await put("small.txt", "y".repeat(100));

    const input = await readCodebase(root, { maxFileBytes: 100 });

    expect(input.files).toBe(fileSection("small.txt", "y".repeat(100)));
    expect(input.omitted).toBe("1 file over the 100 B per-file limit: big.txt");
    expect(input.stats.omittedByReason["too-large"]).toBe(1);
  });

  it("stops adding files at the total budget, but lets later smaller files fill the gap", async () => {
    const a = fileSection("a.txt", "a".repeat(60));
    const c = fileSection("c.txt", "c".repeat(10));
    await put("a.txt", "a".repeat(60));
    await put("b.txt", "b".repeat(60)); // would exceed the budget after a.txt
    await put("c.txt", "c".repeat(10)); // still fits
    const budget = Buffer.byteLength(a) + Buffer.byteLength(c);

    const input = await readCodebase(root, { maxTotalBytes: budget });

    expect(input.files).toBe(a + c);
    expect(input.stats.filesTextBytes).toBe(budget);
    expect(input.omitted).toBe(`1 file over the ${budget} B total budget: b.txt`);
  });

  it("gives the budget to root files first, then sources, then tests, but lists contents in path order", async () => {
    await put("a/test/x.ts", "t".repeat(40));
    await put("a/src/y.ts", "s".repeat(40));
    await put("b.spec.ts", "root spec\n"); // a root file: first tier even if it is a test
    await put("zz/z.test.ts", "t".repeat(40));
    const root1 = fileSection("b.spec.ts", "root spec\n");
    const src = fileSection("a/src/y.ts", "s".repeat(40));
    const budget = Buffer.byteLength(root1) + Buffer.byteLength(src) + 10;

    const input = await readCodebase(root, { maxTotalBytes: budget });

    expect(input.files).toBe(src + root1);
    expect(input.omitted).toBe(`2 files over the ${budget} B total budget: a/test/x.ts, zz/z.test.ts`);
  });

  it("never exceeds the total budget and lists at most 10 paths per reason", async () => {
    for (let i = 0; i < 25; i += 1) await put(`f${String(i).padStart(2, "0")}.txt`, "z".repeat(50));

    const input = await readCodebase(root, { maxTotalBytes: 300 });

    expect(Buffer.byteLength(input.files)).toBeLessThanOrEqual(300);
    expect(input.stats.filesIncluded).toBe(3);
    expect(input.omitted).toBe(
      "22 files over the 300 B total budget: f03.txt, f04.txt, f05.txt, f06.txt, f07.txt, f08.txt, f09.txt, f10.txt, f11.txt, f12.txt and 12 more",
    );
  });

  it("honours the root .gitignore (files and directories, negation)", async () => {
    await put(".gitignore", "# comment\n*.log\n!keep.log\nbuild/\n/secret-notes.md\n");
    await put("app.ts", "1\n");
    await put("debug.log", "noise\n");
    await put("keep.log", "kept\n");
    await put("build/out.js", "x\n");
    await put("secret-notes.md", "x\n");
    await put("docs/secret-notes.md", "not anchored here\n");

    const input = await readCodebase(root);

    expect(input.stats.skippedDirs).toEqual(["build"]);
    expect(input.files).toContain('<file path="keep.log">');
    expect(input.files).toContain('<file path="docs/secret-notes.md">');
    expect(input.files).not.toContain("noise");
    expect(input.omitted.split("\n")).toEqual([
      "2 files ignored by .gitignore: debug.log, secret-notes.md",
      "build skipped (.gitignore)",
    ]);

    const unfiltered = await readCodebase(root, { gitignore: false });
    expect(unfiltered.files).toContain("noise");
  });

  it("does not follow symbolic links", async () => {
    await put("real.ts", "real\n");
    await symlink(join(root, "real.ts"), join(root, "link.ts"));
    const input = await readCodebase(root);
    expect(input.stats.filesIncluded).toBe(1);
    expect(input.omitted).toBe("1 symbolic link not followed: link.ts");
  });

  it("takes the repository name from package.json, else the directory name", async () => {
    expect((await readCodebase(root)).repo).toMatch(/^agent-dag-codebase-/);
    await put("package.json", JSON.stringify({ name: "my-app" }));
    expect((await readCodebase(root)).repo).toBe("my-app");
  });

  it("throws on a missing directory and on bad limits", async () => {
    await expect(readCodebase(join(root, "nope"))).rejects.toThrow(/is not a directory/);
    await expect(readCodebase(root, { maxTotalBytes: 0 })).rejects.toThrow(
      "Expected `maxTotalBytes` to be a positive integer, got 0",
    );
  });

  it("uses 48 KiB per file and 256 KiB in total by default", () => {
    expect(MAX_FILE_BYTES).toBe(49_152);
    expect(MAX_TOTAL_BYTES).toBe(262_144);
    expect(formatBytes(MAX_TOTAL_BYTES)).toBe("256 KiB");
    expect(formatBytes(1536)).toBe("1.5 KiB");
    expect(formatBytes(512)).toBe("512 B");
    expect(formatBytes(3 * 1024 * 1024)).toBe("3 MiB");
  });
});
