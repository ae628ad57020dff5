import { describe, expect, it } from "vitest";
import { CommandParseError, parseBatch, parsePathCommand, parseSingle } from "../../local/redis-rest/command-parse.js";
import { encodeItem, encodeResult } from "../../local/redis-rest/encode.js";

const b = (s: string): Buffer => Buffer.from(s, "utf8");
const texts = (cmd: Buffer[]): string[] => cmd.map((x) => x.toString("utf8"));

describe("encodeResult (docs/upstash-protocols.md A4)", () => {
  it("base64-encodes strings at every depth, keeps integers and null, leaves only a top-level OK raw", () => {
    expect(encodeResult(b("OK"), true)).toBe("OK");
    expect(encodeResult(b("bar"), true)).toBe("YmFy");
    expect(encodeResult([b("OK"), [b("OK"), 3, null]], true)).toEqual(["T0s=", ["T0s=", 3, null]]);
    expect(encodeResult(-7, true)).toBe(-7);
    expect(encodeResult(null, true)).toBeNull();
  });

  it("returns UTF-8 text without base64", () => {
    expect(encodeResult([b("ü"), 1], false)).toEqual(["ü", 1]);
  });

  it("keeps binary bytes exact in base64 mode", () => {
    const bytes = Buffer.from([0xff, 0x00, 0xc3]);
    expect(Buffer.from(encodeResult(bytes, true) as string, "base64").equals(bytes)).toBe(true);
  });

  it("never encodes errors", () => {
    expect(encodeItem(new Error("ERR boom"), true)).toEqual({ error: "ERR boom" });
    expect(encodeItem(b("x"), true)).toEqual({ result: "eA==" });
  });
});

describe("command parsing (docs/upstash-protocols.md A2)", () => {
  it("keeps number literals, turns booleans into text and null into an empty string", () => {
    expect(texts(parseSingle(b('["SET","k",12345678901234567890,1.50,1e21,true,false,null]')))).toEqual([
      "SET",
      "k",
      "12345678901234567890",
      "1.50",
      "1e21",
      "true",
      "false",
      "",
    ]);
  });

  it("serialises nested JSON values as JSON text, numbers exact", () => {
    expect(texts(parseSingle(b('["set","k",{"a":1.0,"b":[2]}]')))[2]).toBe('{"a":1.0,"b":[2]}');
  });

  it("requires a non-empty array starting with a string", () => {
    expect(() => parseSingle(b("[]"))).toThrow(CommandParseError);
    expect(() => parseSingle(b("[1,2]"))).toThrow(CommandParseError);
    expect(() => parseSingle(b("{"))).toThrow(CommandParseError);
    expect(() => parseBatch(b('["get","k"]'))).toThrow(CommandParseError);
    expect(parseBatch(b('[["get","k"],["incr","n"]]')).map(texts)).toEqual([
      ["get", "k"],
      ["incr", "n"],
    ]);
  });

  it("parses path-style commands: decoded segments, body as last argument, then query pairs", () => {
    expect(texts(parsePathCommand("/set/foo%20bar/baz", "", Buffer.alloc(0)))).toEqual(["set", "foo bar", "baz"]);
    expect(texts(parsePathCommand("/set/foo", "EX=100&_token=t&NX", b("v a l")))).toEqual([
      "set",
      "foo",
      "v a l",
      "EX",
      "100",
      "NX",
    ]);
    expect(() => parsePathCommand("/", "", Buffer.alloc(0))).toThrow(CommandParseError);
  });
});
