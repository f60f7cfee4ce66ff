import { describe, expect, it } from "vitest";
import { bodyProblem, messageBody, parseHeaderLines, parseNames, parseStreamOffset, prettyBody } from "./messageForm";

describe("message form", () => {
  it("refuses a JSON body that does not parse and pretty-prints one that does", () => {
    expect(bodyProblem("json", '{"a": 1')).toMatch(/Not valid JSON/);
    expect(bodyProblem("json", '{"a": 1}')).toBeNull();
    expect(prettyBody("json", '{"a":1}')).toBe('{\n  "a": 1\n}');
    expect(prettyBody("text", '{"a":1}')).toBe('{"a":1}');
  });

  it("checks base64 and sends it without line breaks", () => {
    expect(bodyProblem("base64", "aGVsbG8=")).toBeNull();
    expect(bodyProblem("base64", "aGVsbG8")).toMatch(/base64/);
    expect(bodyProblem("base64", "not base64!")).toMatch(/base64/);
    expect(messageBody("base64", "aGVs\nbG8=")).toEqual({ format: "base64", content: "aGVsbG8=" });
    expect(bodyProblem("text", "anything at all")).toBeNull();
  });

  it("reads key=value header lines and says which line is wrong", () => {
    expect(parseHeaderLines("tenant=acme\n\nquery=a=b")).toEqual({ headers: { tenant: "acme", query: "a=b" }, error: null });
    expect(parseHeaderLines("tenant").error).toMatch(/Line 1/);
    expect(parseHeaderLines("a=1\na=2").error).toMatch(/set twice/);
  });

  it("reads header names by line or comma, once each", () => {
    expect(parseNames("x-a, x-b\nx-a\n")).toEqual(["x-a", "x-b"]);
  });

  it("reads a stream offset as first, last, a number or a time", () => {
    expect(parseStreamOffset("")).toEqual({ kind: "first" });
    expect(parseStreamOffset("last")).toEqual({ kind: "last" });
    expect(parseStreamOffset("42")).toEqual({ kind: "offset", offset: 42 });
    expect(parseStreamOffset("2026-12-01T10:00:00Z")).toEqual({ kind: "timestamp", seconds: 1796119200 });
    expect(parseStreamOffset("yesterday")).toMatch(/not an offset/);
  });
});
