// A drop-down in a toolbar, its words around it: "auto [15 s]", "by [messages]", "Read the
// first [200] messages". The value handed back is the option's own (a number stays a number).
import type { ReactNode } from "react";

export interface Choice<T> {
  value: T;
  label: string;
}

interface Props<T> {
  label: ReactNode;
  after?: ReactNode;
  value: T;
  options: Choice<T>[];
  onChange: (value: T) => void;
  testId?: string;
}

export function ToolbarSelect<T extends string | number>({ label, after, value, options, onChange, testId }: Props<T>) {
  return (
    <label className="auto-refresh">
      {label}
      <select value={value} onChange={(ev) => onChange(options[ev.target.selectedIndex].value)} data-testid={testId}>
        {options.map((o) => (
          <option key={o.value} value={o.value}>
            {o.label}
          </option>
        ))}
      </select>
      {after}
    </label>
  );
}
