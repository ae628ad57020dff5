/**
 * The repository is self-contained: no file git tracks (or would track) points at a folder beside the clone or at an
 * absolute path on the machine it was written on. A user's clone has only the repository, so every path the code,
 * tests, bench and docs use must resolve inside it.
 *
 * Three findings, each reported as `file:line`:
 * - a relative path to a `shared` folder (`..` segments, then `shared`) that climbs above the root, or names an
 *   entry the repository's own `shared/` source folder does not have (`workloads`, a design document);
 * - an absolute path under the machine's work folder (`/` + `work`) or under the folder that holds the clone;
 * - a citation of a document the repository does not have: the design sketch, peer survey, stack notes or style
 *   guide that lived beside it (by file name), or the words "team" + "folder".
 * The needles are built from parts so that this file does not match itself.
 */
import { execFileSync } from "node:child_process";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, posix } from "node:path";
import { describe, expect, it } from "vitest";
import { compileGitignore } from "../../../local/gitignore.js";
import { PROJECT_ROOT } from "../../../local/project-root.js";

const UP = "..";
const SHARED = "shared";
/** One or more `..` segments, then `shared`, then the first path segment after it (if any). */
const RELATIVE_SHARED = new RegExp(`((?:\\${UP[0]}\\${UP[1]}/)+)${SHARED}(?:/([\\w.-]+))?`, "g");
const WORK = ["", "work"].join("/");
/** The folder that holds the clone, e.g. `/home/me/src` for `/home/me/src/agent-dag`. */
const CLONE_PARENT = dirname(PROJECT_ROOT.replace(/\/$/, ""));
/** An absolute path as a path of its own: for the work folder, not `/workflows` nor `src/work`. */
const absolutePath = (dir: string) =>
  new RegExp(`(?<![\\w.-])${dir.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}(?![\\w.-])`);
/** Not for a clone made in a shared folder (`/`, the temp folder): results files cite `--out /tmp/…` on purpose. */
const SHARED_PARENTS = new Set(["/", "/tmp", tmpdir().replace(/\/$/, "")]);
const ABSOLUTE = [WORK, CLONE_PARENT].filter((d) => !SHARED_PARENTS.has(d)).map(absolutePath);
/** Documents that lived beside the repository: citing one is a finding unless the repository has such a file. */
const OUTSIDE_DOCS = ["design", "peers", "stack-notes", "style"].map((stem) => `${stem}.md`);
const TEAM_FOLDER = new RegExp(["team", "folder"].join("\\s+"), "i");

/**
 * Files git tracks plus untracked files it does not ignore, relative to the root (node_modules left out). Without
 * git (an unpacked archive), a walk of the tree that skips `.git` and what the root `.gitignore` ignores.
 */
function repositoryFiles(): string[] {
  let listed: string[];
  try {
    const out = execFileSync("git", ["ls-files", "-co", "--exclude-standard", "-z"], {
      cwd: PROJECT_ROOT,
      stdio: ["ignore", "pipe", "ignore"],
    });
    listed = out.toString("utf8").split("\0");
  } catch {
    listed = walk("");
  }
  return listed.filter((f) => f !== "" && !f.startsWith("node_modules/") && existsSync(`${PROJECT_ROOT}${f}`));
}

/** Root-relative files under `dir` (`""` = the root), skipping `.git`, node_modules and `.gitignore`d paths. */
function walk(dir: string): string[] {
  const gitignore = `${PROJECT_ROOT}.gitignore`;
  const ignored = compileGitignore(existsSync(gitignore) ? readFileSync(gitignore, "utf8") : "");
  const out: string[] = [];
  const visit = (rel: string) => {
    for (const entry of readdirSync(`${PROJECT_ROOT}${rel}`, { withFileTypes: true })) {
      const path = `${rel}${entry.name}`;
      const isDir = entry.isDirectory();
      if (entry.name === ".git" || entry.name === "node_modules" || ignored(path, isDir)) continue;
      if (isDir) visit(`${path}/`);
      else if (entry.isFile()) out.push(path);
    }
  };
  visit(dir);
  return out;
}

/**
 * Whether a relative `shared` reference found in `file` points outside the repository: its `..` chain climbs above
 * the root, or it names an entry the repository's `shared/` folder does not have, or (with no entry) it does not
 * land on that folder. Test data such as a docs link `../shared/dag` written into a deeper file passes.
 * @param file path relative to the root; `ups` the `../` chain; `entry` the segment after `shared`, if any.
 */
function pointsOutside(file: string, ups: string, entry: string | undefined): boolean {
  const target = posix.normalize(posix.join(posix.dirname(file), ups, SHARED));
  if (target.startsWith(`${UP}/`)) return true; // above the root: beside the clone
  if (entry === undefined) return target !== SHARED;
  return !existsSync(`${PROJECT_ROOT}${SHARED}/${entry.replace(/\.js$/, ".ts")}`);
}

/**
 * Every finding in one file's text, as `file:line: excerpt`.
 * @param known base names of the repository's files (a cited document of that name exists).
 */
function findingsIn(file: string, text: string, known: ReadonlySet<string> = new Set()): string[] {
  const findings: string[] = [];
  text.split("\n").forEach((line, i) => {
    const where = `${file}:${i + 1}: ${line.trim().slice(0, 160)}`;
    for (const m of line.matchAll(RELATIVE_SHARED)) {
      if (pointsOutside(file, m[1]!, m[2])) findings.push(where);
    }
    if (ABSOLUTE.some((re) => re.test(line))) findings.push(where);
    if (TEAM_FOLDER.test(line)) findings.push(where);
    for (const doc of OUTSIDE_DOCS) {
      if (!known.has(doc) && new RegExp(`(?<![\\w-])${doc.replace(".", "\\.")}`).test(line)) findings.push(where);
    }
  });
  return [...new Set(findings)];
}

describe("the repository is self-contained", () => {
  it("tells a path into the repository's shared/ folder from one beside the clone", () => {
    const up = `${UP}/`;
    expect(findingsIn("local/bench/x.ts", `import { a } from "${up}${up}${SHARED}/dag/compile.js";`)).toEqual([]);
    expect(findingsIn("docs/a.md", `see [compile](${up}${SHARED}/dag/compile.ts)`)).toEqual([]);
    expect(findingsIn("test/unit/x.test.ts", `check("[code](${up}${SHARED}/dag/compile.ts)")`)).toEqual([]);
    expect(findingsIn("local/x.ts", `// the folder ${up}${up}${SHARED} beside the repo`)).toHaveLength(1);
    expect(findingsIn("local/bench/x.ts", `new URL("${up}${up}${up}${SHARED}/workloads/")`)).toHaveLength(1);
    expect(findingsIn("local/bench/x.ts", `// ${up}${SHARED}/workloads/stats.txt`)).toHaveLength(1);
    expect(findingsIn("local/x.ts", `// ${up}${SHARED}/${OUTSIDE_DOCS[0]}`)).toHaveLength(1);
    expect(findingsIn("README.md", `the folder ${up}${SHARED} beside the repo`)).toHaveLength(1);
    expect(findingsIn("a.json", `"out": "${WORK}/main/bench/results"`)).toEqual([
      `a.json:1: "out": "${WORK}/main/bench/results"`,
    ]);
    expect(findingsIn("a.ts", `fetch("${WORK}flows/x"); const p = "src${WORK}/x";`)).toEqual([]);
  });

  it("flags a document the repository does not have, and the old folder's name", () => {
    const design = OUTSIDE_DOCS[0]!;
    expect(findingsIn("a.ts", `// (${design}, decision 3)`)).toHaveLength(1);
    expect(findingsIn("a.ts", `// (${design}, decision 3)`, new Set([design]))).toEqual([]);
    expect(findingsIn("a.ts", `// see docs/architecture.md and my-${design}`)).toEqual([]);
    expect(findingsIn("a.md", `needs the ${["Team", "folder"].join(" ")} beside it`)).toHaveLength(1);
  });

  it("has no path that points outside it", () => {
    const files = repositoryFiles();
    const known = new Set(files.map((f) => posix.basename(f)));
    const findings: string[] = [];
    for (const file of files) {
      const bytes = readFileSync(`${PROJECT_ROOT}${file}`);
      if (bytes.includes(0)) continue; // binary
      findings.push(...findingsIn(file, bytes.toString("utf8"), known));
    }
    expect(findings, "paths that point outside the repository").toEqual([]);
  });
});
