// What an operator types into the publish and edit forms, checked before anything is sent: the
// body in its format (JSON must parse, base64 must decode), headers as `key=value` lines, and a
// stream offset as `first`, `last`, a number or a date-time. The core checks again; these give
// the error under the field while typing.
import type { BodyFormat } from "../../ipc/bindings/BodyFormat";
import type { MessageBody } from "../../ipc/bindings/MessageBody";
import type { StreamOffset } from "../../ipc/bindings/StreamOffset";

/** The problem with `content` read as `format`, or null. */
export function bodyProblem(format: BodyFormat, content: string): string | null {
  if (format === "json") {
    try {
      JSON.parse(content);
      return null;
    } catch (e) {
      return `Not valid JSON: ${(e as Error).message}`;
    }
  }
  if (format === "base64") {
    const compact = content.replace(/\s+/g, "");
    if (!/^[A-Za-z0-9+/]*={0,2}$/.test(compact) || compact.length % 4 !== 0) return "Not valid base64 (A–Z, a–z, 0–9, +, / and = padding, length a multiple of 4).";
  }
  return null;
}

/** JSON pretty-printed with two spaces (what the core stores), else the text unchanged. */
export function prettyBody(format: BodyFormat, content: string): string {
  if (format !== "json") return content;
  try {
    return JSON.stringify(JSON.parse(content), null, 2);
  } catch {
    return content;
  }
}

export function messageBody(format: BodyFormat, content: string): MessageBody {
  return { format, content: format === "base64" ? content.replace(/\s+/g, "") : content };
}

/** The format a body preview suggests for editing it (binary bodies edit as base64). */
export function formatOf(kind: "json" | "text" | "binary"): BodyFormat {
  return kind === "binary" ? "base64" : kind;
}

export interface HeaderLines {
  headers: Record<string, string>;
  /** The first bad line, said so the user can fix it. */
  error: string | null;
}

/** `key=value` per line (blank lines skipped; the value may contain `=`); a key twice is an error. */
export function parseHeaderLines(text: string): HeaderLines {
  const headers: Record<string, string> = {};
  const lines = text.split("\n");
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i].trim();
    if (!line) continue;
    const eq = line.indexOf("=");
    if (eq <= 0) return { headers, error: `Line ${i + 1}: write key=value (got “${line}”).` };
    const key = line.slice(0, eq).trim();
    if (key in headers) return { headers, error: `Line ${i + 1}: header “${key}” is set twice.` };
    headers[key] = line.slice(eq + 1).trim();
  }
  return { headers, error: null };
}

/** Header names, one per line or separated by commas. */
export function parseNames(text: string): string[] {
  return [...new Set(text.split(/[\n,]/).map((s) => s.trim()).filter(Boolean))];
}

/** `first`, `last`, an offset number, or a date-time (ISO 8601 / RFC 3339, or the datetime-local field's value). */
export function parseStreamOffset(text: string): StreamOffset | string {
  const t = text.trim();
  if (t === "" || t === "first") return { kind: "first" };
  if (t === "last") return { kind: "last" };
  if (/^\d+$/.test(t)) return { kind: "offset", offset: Number(t) };
  const ms = Date.parse(t);
  if (Number.isNaN(ms)) return `“${t}” is not an offset: use first, last, a number or a date-time such as 2026-12-01T10:00:00Z.`;
  return { kind: "timestamp", seconds: Math.floor(ms / 1000) } as unknown as StreamOffset;
}
