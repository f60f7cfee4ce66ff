// "↑ since 14:05": a row whose series has been growing, with its start → end and delta in the
// tooltip. `compact` (the queue table's name cell) drops the word "since". The words are drawn by
// CSS from `data-label` and named by `aria-label`: the cell's text stays the name alone (what
// copy, sorting and the tests read).
import type { Grower } from "../../ipc/bindings/Grower";
import { growerTitle, sinceShort } from "./historyModel";
import "./history.css";

export function GrowingBadge({ grower, sinceS, compact = false }: { grower: Grower | undefined; sinceS: number; compact?: boolean }) {
  if (!grower) return null;
  const since = sinceShort(grower.growing_since);
  const title = growerTitle(grower, sinceS);
  return (
    <span
      className="growing-badge"
      role="img"
      title={title}
      aria-label={title.replace("\n", ". ")}
      data-label={`↑${since ? (compact ? ` ${since}` : ` since ${since}`) : ""}`}
      data-testid="growing-badge"
    />
  );
}
