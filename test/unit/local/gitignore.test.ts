import { describe, expect, it } from "vitest";
import { compileGitignore } from "../../../local/gitignore";

describe("compileGitignore", () => {
  const ignored = compileGitignore(
    [
      "# comment",
      "",
      "*.log",
      "!keep.log",
      "build/",
      "/root-only.txt",
      "docs/**/*.draft.md",
      "**/tmp",
      "cache/**",
      "file[0-9].txt",
      "\\#literal",
    ].join("\n"),
  );

  it.each([
    ["a.log", false, true],
    ["deep/dir/b.log", false, true],
    ["keep.log", false, false], // negated
    ["build", true, true],
    ["build", false, false], // dir-only rule does not match a file
    ["src/build", true, true], // unanchored dir rule matches at any depth
    ["root-only.txt", false, true],
    ["sub/root-only.txt", false, false], // anchored
    ["docs/a.draft.md", false, true], // ** matches zero directories
    ["docs/x/y/a.draft.md", false, true],
    ["docs/a.md", false, false],
    ["tmp", true, true],
    ["a/b/tmp", true, true],
    ["cache/x/y.bin", false, true],
    ["cache", true, false], // "cache/**" matches what is inside, not the directory itself
    ["file7.txt", false, true],
    ["fileX.txt", false, false],
    ["#literal", false, true],
    ["src/index.ts", false, false],
  ])("%s (dir: %s) ignored: %s", (path, isDir, expected) => {
    expect(ignored(path, isDir)).toBe(expected);
  });

  it("ignores nothing for an empty file", () => {
    expect(compileGitignore("")("anything", false)).toBe(false);
  });
});
