/**
 * Every link and path in the documentation resolves inside the repository: `README.md` and every `docs/**.md`.
 *
 * Two kinds of reference are checked, outside fenced code blocks:
 * - relative Markdown links and images, `[text](target)` and `[label]: target`: the file or folder must exist
 *   (resolved from the linking file's folder, as GitHub does), and a `#anchor` must be the slug GitHub generates for
 *   a heading of the target Markdown file (or of the same file for a bare `#anchor`);
 * - backticked repository paths: each word of an inline code span whose first segment names a top-level entry of
 *   the repository (`shared/engine/advance.ts`, `bench/workloads/`) must exist. A placeholder segment
 *   (`bench/results/<stamp>.json`) ends the check at the folder before it.
 * "Exists" means git tracks the path, or would (an untracked file it does not ignore), and it is on disk: a clone
 * has exactly those. Findings are reported as `file:line: reference (reason)`.
 */
import { execFileSync } from "node:child_process";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { posix } from "node:path";
import { describe, expect, it } from "vitest";
import { compileGitignore } from "../../../local/gitignore.js";
import { PROJECT_ROOT } from "../../../local/project-root.js";

/** The files and folders of the repository (relative, folders with a trailing `/`), as {@link repoEntries} reads. */
interface RepoIndex {
  files: ReadonlySet<string>;
  folders: ReadonlySet<string>;
}

/** Builds a {@link RepoIndex} from relative file paths: every file and every folder above one. */
function indexOf(files: readonly string[]): RepoIndex {
  const folders = new Set<string>();
  for (const f of files) {
    const parts = f.split("/");
    for (let i = 1; i < parts.length; i++) folders.add(`${parts.slice(0, i).join("/")}/`);
  }
  return { files: new Set(files), folders };
}

/**
 * Files git tracks plus untracked files it does not ignore, that exist on disk, relative to the root. Without git
 * (an unpacked archive), every file on disk outside `.git`, node_modules and what the root `.gitignore` ignores.
 */
function repoEntries(): RepoIndex {
  let listed: string[];
  try {
    const out = execFileSync("git", ["ls-files", "-co", "--exclude-standard", "-z"], {
      cwd: PROJECT_ROOT,
      stdio: ["ignore", "pipe", "ignore"],
    });
    listed = out.toString("utf8").split("\0");
  } catch {
    const gitignore = `${PROJECT_ROOT}.gitignore`;
    const ignored = compileGitignore(existsSync(gitignore) ? readFileSync(gitignore, "utf8") : "");
    listed = [];
    const visit = (rel: string) => {
      for (const e of readdirSync(`${PROJECT_ROOT}${rel}`, { withFileTypes: true })) {
        const path = `${rel}${e.name}`;
        if (e.name === ".git" || e.name === "node_modules" || ignored(path, e.isDirectory())) continue;
        if (e.isDirectory()) visit(`${path}/`);
        else if (e.isFile()) listed.push(path);
      }
    };
    visit("");
  }
  return indexOf(listed.filter((f) => f !== "" && existsSync(`${PROJECT_ROOT}${f}`)));
}

/** Whether a normalised relative path (a folder may end in `/`) is a file or folder of the repository. */
function exists(index: RepoIndex, path: string): boolean {
  const bare = path.replace(/\/+$/, "");
  if (bare === "" || bare === ".") return true;
  return index.files.has(bare) || index.folders.has(`${bare}/`);
}

/**
 * The slugs GitHub gives the headings of a Markdown text, in order, with `-1`, `-2` … for repeats (github-slugger:
 * lower case, punctuation and symbols dropped, each space a hyphen), plus explicit HTML `id`/`name` anchors.
 */
function headingSlugs(markdown: string): Set<string> {
  const slugs = new Set<string>();
  const seen = new Map<string, number>();
  for (const line of withoutFences(markdown).split("\n")) {
    for (const m of line.matchAll(/<a\s+(?:name|id)="([^"]+)"/g)) slugs.add(m[1]!);
    const h = /^ {0,3}#{1,6}\s+(.*?)\s*#*\s*$/.exec(line);
    if (!h) continue;
    const text = h[1]!
      .replace(/!?\[([^\]]*)\]\([^)]*\)/g, "$1")
      .replace(/<[^>]+>/g, "")
      .replace(/[`*]/g, "");
    const base = text
      .toLowerCase()
      .replace(/[^\p{L}\p{M}\p{N}\p{Pc} -]/gu, "")
      .replace(/ /g, "-");
    const n = seen.get(base) ?? 0;
    seen.set(base, n + 1);
    slugs.add(n === 0 ? base : `${base}-${n}`);
  }
  return slugs;
}

/** The text with fenced code blocks (``` or ~~~) blanked out, line count kept. */
function withoutFences(markdown: string): string {
  let fence: string | null = null;
  return markdown
    .split("\n")
    .map((line) => {
      const m = /^ {0,3}(`{3,}|~{3,})/.exec(line);
      if (fence === null && m) {
        fence = m[1]!;
        return "";
      }
      if (fence !== null) {
        if (m && m[1]!.startsWith(fence[0]!) && m[1]!.length >= fence.length) fence = null;
        return "";
      }
      return line;
    })
    .join("\n");
}

/** A link target that leaves the repository's files: a URL, a mail address, a protocol-relative URL. */
const EXTERNAL = /^(?:[a-z][a-z0-9+.-]*:|\/\/)/i;
/** A segment that stands for something (a placeholder or a glob): the path is checked up to the folder before it. */
const PLACEHOLDER = /[<>{}*…[\]$|]/;

/**
 * Every broken reference in one Markdown file's text.
 * @param file the file's path relative to the root, e.g. `docs/api.md`.
 * @param readText reads another Markdown file of the repository (for its heading slugs), by relative path.
 */
function findingsIn(file: string, text: string, index: RepoIndex, readText: (path: string) => string): string[] {
  const findings: string[] = [];
  const dir = posix.dirname(file);
  const topLevel = new Set([...index.folders, ...index.files].map((p) => p.split("/")[0]!));
  const slugCache = new Map<string, Set<string>>();
  const slugsOf = (path: string) => {
    let s = slugCache.get(path);
    if (!s) slugCache.set(path, (s = headingSlugs(path === file ? text : readText(path))));
    return s;
  };

  const checkLink = (line: number, target: string) => {
    if (EXTERNAL.test(target)) return;
    const hash = target.indexOf("#");
    const rawPath = hash === -1 ? target : target.slice(0, hash);
    const anchor = hash === -1 ? null : decodeURIComponent(target.slice(hash + 1));
    const path =
      rawPath === ""
        ? file
        : // a leading "/" is the repository root, as GitHub resolves it
          posix.normalize(posix.join(rawPath.startsWith("/") ? "." : dir, decodeURI(rawPath.replace(/^\/+/, ""))));
    const where = `${file}:${line}: ${target}`;
    if (path.startsWith("../") || path === "..") return void findings.push(`${where} (points outside the repository)`);
    if (!exists(index, path)) return void findings.push(`${where} (no such file or folder)`);
    if (anchor !== null && anchor !== "" && path.endsWith(".md") && !slugsOf(path).has(anchor)) {
      findings.push(`${where} (no heading with anchor #${anchor} in ${path})`);
    }
  };

  const checkCodePath = (line: number, word: string) => {
    const path = word.replace(/#.*$/, "").replace(/:\d+(?:-\d+)?$/, "");
    if (!path.includes("/") || EXTERNAL.test(path) || !topLevel.has(path.split("/")[0]!)) return;
    const segments = path.split("/");
    const cut = segments.findIndex((s) => PLACEHOLDER.test(s));
    const checked = cut === -1 ? path : `${segments.slice(0, cut).join("/")}/`;
    if (!exists(index, posix.normalize(checked)))
      findings.push(`${file}:${line}: \`${word}\` (no such file or folder)`);
  };

  withoutFences(text)
    .split("\n")
    .forEach((raw, i) => {
      const line = i + 1;
      const spans = [...raw.matchAll(/(`+)(.+?)\1/g)];
      for (const m of spans) for (const word of m[2]!.trim().split(/\s+/)) checkCodePath(line, word);
      // links are read with code spans blanked, so a bracket inside code is not a link
      const prose = raw.replace(/(`+)(.+?)\1/g, (s) => " ".repeat(s.length));
      for (const m of prose.matchAll(/!?\[(?:[^[\]]|\[[^\]]*\])*\]\(\s*<?([^)\s>]+)>?(?:\s+"[^"]*")?\s*\)/g)) {
        checkLink(line, m[1]!);
      }
      const def = /^ {0,3}\[[^\]]+\]:\s*<?(\S+?)>?(?:\s+"[^"]*")?\s*$/.exec(prose);
      if (def) checkLink(line, def[1]!);
    });
  return findings;
}

/** README.md and every Markdown file under docs/, relative to the root. */
function documentationFiles(): string[] {
  const docs = readdirSync(`${PROJECT_ROOT}docs`, { recursive: true, encoding: "utf8" })
    .filter((f) => f.endsWith(".md"))
    .map((f) => `docs/${f}`);
  return ["README.md", ...docs.sort()];
}

describe("links and paths in the documentation", () => {
  const index = indexOf([
    "README.md",
    "docs/api.md",
    "docs/guide.md",
    "shared/engine/advance.ts",
    "bench/results/latest.json",
  ]);
  const docs: Record<string, string> = {
    "docs/guide.md": "# Guide\n\n## Where the DAG advances\n\n## Errors\n\n## Errors\n\n### `POST /v1/runs`\n",
  };
  const read = (p: string) => docs[p] ?? "";
  const check = (file: string, text: string) => findingsIn(file, text, index, read);

  it("follows GitHub's heading slugs", () => {
    expect([...headingSlugs(docs["docs/guide.md"]!)]).toEqual([
      "guide",
      "where-the-dag-advances",
      "errors",
      "errors-1",
      "post-v1runs",
    ]);
    expect(headingSlugs("## Budgets, measured (2×): `a/b` — [link](x.md)\n")).toEqual(
      new Set(["budgets-measured-2-ab--link"]),
    );
  });

  it("accepts links, anchors and paths that resolve", () => {
    const text = [
      "See [the guide](docs/guide.md#where-the-dag-advances), [errors](docs/guide.md#errors-1) and",
      "[the code](shared/engine/advance.ts), [a folder](bench/results/), [the web](https://example.com).",
      "[up here](#title) · `shared/engine/advance.ts` · `bench/results/<stamp>.json` · `npm run x -- ../elsewhere`",
      "`@upstash/redis` · `POST /v1/runs` · `application/problem+json` · `src/not-ours.ts`",
      "```sh",
      "[not a link](missing.md) `shared/missing.ts`",
      "```",
      "# Title",
    ].join("\n");
    expect(check("README.md", text)).toEqual([]);
    expect(check("docs/api.md", "[guide](guide.md#post-v1runs) and [code](../shared/engine/advance.ts)")).toEqual([]);
  });

  it("reports a missing file, a missing anchor, a path outside the repository and a missing backticked path", () => {
    const text = [
      "[gone](docs/gone.md) and [bad anchor](docs/guide.md#nowhere)",
      "[outside](../elsewhere/README.md) and `shared/engine/advanse.ts` and `bench/missing/<stamp>.json`",
      "[self](#no-such-heading)",
      "[ref]: docs/also-gone.md",
    ].join("\n");
    expect(check("README.md", text)).toEqual([
      "README.md:1: docs/gone.md (no such file or folder)",
      "README.md:1: docs/guide.md#nowhere (no heading with anchor #nowhere in docs/guide.md)",
      "README.md:2: `shared/engine/advanse.ts` (no such file or folder)",
      "README.md:2: `bench/missing/<stamp>.json` (no such file or folder)",
      "README.md:2: ../elsewhere/README.md (points outside the repository)",
      "README.md:3: #no-such-heading (no heading with anchor #no-such-heading in README.md)",
      "README.md:4: docs/also-gone.md (no such file or folder)",
    ]);
  });

  it("README.md stays a five-minute page: at most 15 KB, depth goes to docs/", () => {
    expect(readFileSync(`${PROJECT_ROOT}README.md`).byteLength).toBeLessThanOrEqual(15_000);
  });

  it("README.md and docs/ have no broken link or path", () => {
    const repo = repoEntries();
    const read = (p: string) => readFileSync(`${PROJECT_ROOT}${p}`, "utf8");
    const findings = documentationFiles().flatMap((f) => findingsIn(f, read(f), repo, read));
    expect(findings, "broken links or paths").toEqual([]);
  });
});
