// A message body as the operator edits it: JSON (checked as typed, formatted on request), text,
// or base64 for binary; or loaded from a file (read here, in the window: the file is the user's
// own message, never a secret).
import type { BodyFormat } from "../../ipc/bindings/BodyFormat";
import { bodyProblem, prettyBody } from "./messageForm";

interface Props {
  format: BodyFormat;
  content: string;
  onChange: (format: BodyFormat, content: string) => void;
  testId: string;
  rows?: number;
}

function toBase64(bytes: Uint8Array): string {
  let s = "";
  for (let i = 0; i < bytes.length; i += 0x8000) s += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(s);
}

async function readFile(file: File): Promise<{ format: BodyFormat; content: string }> {
  const bytes = new Uint8Array(await file.arrayBuffer());
  let text: string | null = null;
  try {
    text = new TextDecoder("utf-8", { fatal: true }).decode(bytes);
  } catch {
    text = null;
  }
  if (text === null || /[\u0000-\u0008\u000e-\u001f]/.test(text)) return { format: "base64", content: toBase64(bytes) };
  return bodyProblem("json", text) === null ? { format: "json", content: text } : { format: "text", content: text };
}

export function BodyEditor({ format, content, onChange, testId, rows = 10 }: Props) {
  const problem = bodyProblem(format, content);
  return (
    <div className="field body-editor">
      <div className="body-editor-head">
        <span className="label">Body</span>
        <select aria-label="Body format" value={format} onChange={(ev) => onChange(ev.target.value as BodyFormat, content)} data-testid={`${testId}-format`}>
          <option value="json">JSON</option>
          <option value="text">Text</option>
          <option value="base64">Base64 (binary)</option>
        </select>
        {format === "json" && (
          <button className="ghost" type="button" disabled={problem !== null} onClick={() => onChange("json", prettyBody("json", content))} data-testid={`${testId}-pretty`}>
            Format
          </button>
        )}
        <label className="ghost file-pick">
          Load file…
          <input
            type="file"
            hidden
            data-testid={`${testId}-file`}
            onChange={(ev) => {
              const f = ev.target.files?.[0];
              if (f) void readFile(f).then((r) => onChange(r.format, r.format === "json" ? prettyBody("json", r.content) : r.content));
              ev.target.value = "";
            }}
          />
        </label>
      </div>
      <textarea aria-label="Message body" rows={rows} value={content} onChange={(ev) => onChange(format, ev.target.value)} spellCheck={false} data-testid={testId} />
      {problem && (
        <span className="error-text" data-testid={`${testId}-error`}>
          {problem}
        </span>
      )}
    </div>
  );
}
