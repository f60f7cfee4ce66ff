// Ranking for the Ctrl/Cmd+K switcher: every typed character must appear in order in the id
// or name; earlier, tighter matches rank first, ties keep the sidebar's order.
import type { EnvironmentView } from "../../ipc/bindings/EnvironmentView";

function score(text: string, query: string): number | null {
  const t = text.toLowerCase();
  const q = query.toLowerCase();
  if (q === "") return 0;
  const direct = t.indexOf(q);
  if (direct >= 0) return direct; // substring: best, earlier is better
  let pos = -1;
  let gaps = 0;
  for (const ch of q) {
    const next = t.indexOf(ch, pos + 1);
    if (next < 0) return null;
    if (pos >= 0) gaps += next - pos - 1;
    pos = next;
  }
  return 100 + gaps;
}

export function filterEnvironments(envs: EnvironmentView[], query: string): EnvironmentView[] {
  return envs
    .map((e, index) => {
      const scores = [score(e.id, query), score(e.name, query)].filter((s): s is number => s !== null);
      return { e, index, s: scores.length ? Math.min(...scores) : null };
    })
    .filter((x): x is { e: EnvironmentView; index: number; s: number } => x.s !== null)
    .sort((a, b) => a.s - b.s || a.index - b.index)
    .map((x) => x.e);
}
