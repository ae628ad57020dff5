import { readFileSync } from "node:fs";
import { afterEach, describe, expect, it, vi } from "vitest";
import { exitOnOldNode, MIN_NODE_VERSION, nodeVersionProblem } from "../../../local/node-version";

const ROOT = new URL("../../../", import.meta.url);

describe("nodeVersionProblem", () => {
  it("explains an old Node in one line", () => {
    expect(nodeVersionProblem("20.20.2")).toBe(
      "agent-dag needs Node >= 22.12 (this is 20.20.2): install Node 22.12 or later (e.g. `nvm install 22`), " +
        "then run `npm ci` again.",
    );
  });

  it.each([
    ["20.20.2", false],
    ["22.11.9", false],
    ["v18.0.0", false],
    ["not a version", false],
    ["22.12.0", true],
    ["22.23.3", true],
    ["v23.0.0", true],
    ["24.1.0-pre", true],
  ])("%s is recent enough: %s", (version, ok) => {
    const problem = nodeVersionProblem(version);
    expect(problem === null).toBe(ok);
    if (problem) expect(problem).not.toContain("\n");
  });

  it("matches package.json engines and .npmrc refuses other engines on install", () => {
    const pkg = JSON.parse(readFileSync(new URL("package.json", ROOT), "utf8")) as { engines: { node: string } };
    expect(pkg.engines.node).toBe(`>=${MIN_NODE_VERSION.major}.${MIN_NODE_VERSION.minor}`);
    expect(readFileSync(new URL(".npmrc", ROOT), "utf8")).toMatch(/^engine-strict=true$/m);
  });
});

describe("entry points", () => {
  it("every `tsx` script of package.json imports require-node.js before anything else", () => {
    const pkg = JSON.parse(readFileSync(new URL("package.json", ROOT), "utf8")) as { scripts: Record<string, string> };
    const entries = Object.values(pkg.scripts).flatMap((cmd) =>
      [...cmd.matchAll(/\btsx\s+(\S+\.ts)\b/g)].map((m) => m[1]!),
    );
    expect(entries).toContain("local/demo.ts");
    const late = entries.filter((file) => {
      const firstImport = /^import\b.*$/m.exec(readFileSync(new URL(file, ROOT), "utf8"))?.[0];
      return !/^import "(?:\.\.?\/)+require-node\.js";$/.test(firstImport ?? "");
    });
    expect(late, "entry points that do not import require-node.js first").toEqual([]);
  });
});

describe("exitOnOldNode", () => {
  afterEach(() => vi.restoreAllMocks());

  it("prints the line to stderr and exits 1 on an old Node, and does nothing on a recent one", () => {
    const exit = vi.spyOn(process, "exit").mockImplementation((() => undefined) as never);
    const write = vi.spyOn(process.stderr, "write").mockImplementation(() => true);
    exitOnOldNode("22.12.0");
    expect(exit).not.toHaveBeenCalled();
    expect(write).not.toHaveBeenCalled();
    exitOnOldNode("20.20.2");
    expect(exit).toHaveBeenCalledWith(1);
    expect(write).toHaveBeenCalledWith(`${nodeVersionProblem("20.20.2")}\n`);
  });
});
