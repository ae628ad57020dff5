import { describe, expect, it } from "vitest";
import { readPointer } from "../../../shared/util/json-pointer-get.js";
import { deliveryEvent, ignoredBecause, mapInput } from "../../../shared/webhooks/hook-input.js";
import { hookSpecSchema } from "../../../shared/webhooks/hook-spec.js";

const payload = { action: "opened", "a/b": { "m~n": [10, 20] }, pr: { number: 7, title: "Fix", draft: false } };
const headers = (h: Record<string, string>) => new Headers(h);

describe("readPointer (RFC 6901)", () => {
  it("unescapes ~1 and ~0, indexes arrays, and names the first missing step", () => {
    expect(readPointer(payload, "/a~1b/m~0n/1")).toEqual({ found: true, value: 20 });
    expect(readPointer(payload, "")).toEqual({ found: true, value: payload });
    expect(readPointer(payload, "/a~1b/m~0n/01")).toEqual({ found: false, missing: "/a~1b/m~0n/01" });
    expect(readPointer(payload, "/a~1b/m~0n/-")).toEqual({ found: false, missing: "/a~1b/m~0n/-" });
    expect(readPointer(payload, "/pr/nope/deeper")).toEqual({ found: false, missing: "/pr/nope" });
    expect(readPointer(payload, "/pr/toString")).toEqual({ found: false, missing: "/pr/toString" });
  });
});

describe("mapInput", () => {
  it("takes pointer values as JSON and fills templates; no mapping passes the payload through", () => {
    expect(mapInput({ n: "/pr/number", t: "PR #{{/pr/number}}: {{/pr/title}}", d: "/pr/draft" }, payload)).toEqual({
      ok: true,
      input: { n: 7, t: "PR #7: Fix", d: false },
    });
    expect(mapInput(undefined, payload)).toEqual({ ok: true, input: payload });
  });

  it("names every field whose pointer the payload lacks", () => {
    expect(mapInput({ a: "/x", b: "see {{/pr/y}}", c: "/pr/number" }, payload)).toEqual({
      ok: false,
      errors: [
        { pointer: "/input/a", detail: "the payload has no /x" },
        { pointer: "/input/b", detail: "the payload has no /pr/y" },
      ],
    });
  });
});

describe("event filters", () => {
  it("matches `<event>` and `<event>.<action>`, ignores GitHub's ping, and checks `when`", () => {
    const gh = deliveryEvent("github", headers({ "x-github-event": "pull_request" }), payload);
    expect(gh).toEqual({ event: "pull_request", action: "opened" });
    expect(ignoredBecause({ verify: "github", events: ["pull_request"] }, gh, payload)).toBeNull();
    expect(ignoredBecause({ verify: "github", events: ["pull_request.closed"] }, gh, payload)).toBe(
      "event pull_request.opened is not in events",
    );
    expect(ignoredBecause({ verify: "github" }, { event: "ping", action: null }, payload)).toBe("ping event");
    expect(ignoredBecause({ verify: "github", when: { "/pr/draft": false } }, gh, payload)).toBeNull();
    expect(ignoredBecause({ verify: "github", when: { "/pr/draft": [true] } }, gh, payload)).toBe(
      "when /pr/draft does not hold",
    );
    const generic = deliveryEvent("hmac-sha256", headers({ "x-event-type": "build" }), payload);
    expect(generic).toEqual({ event: "build", action: null });
    expect(ignoredBecause({ verify: "hmac-sha256", events: ["build"] }, generic, payload)).toBeNull();
  });
});

describe("hookSpecSchema", () => {
  it("refuses malformed pointers and placeholders, naming the field", () => {
    const r = hookSpecSchema.safeParse({
      workflow: "w",
      verify: "github",
      secret: "s".repeat(16),
      input: { a: "/ok~0", b: "/bad~2", c: "x {{/bad~3}}" },
    });
    expect(r.success).toBe(false);
    expect(r.error?.issues.map((i) => i.path.join("/"))).toEqual(["input/b", "input/c"]);
  });
});
