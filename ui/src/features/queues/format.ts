// Number formatting for the queue table: compact, aligned, and readable at a glance.

export function formatCount(n: number): string {
  return n.toLocaleString("en-US");
}

export function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  const units = ["KiB", "MiB", "GiB", "TiB"];
  let v = n / 1024;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${v < 10 ? v.toFixed(1) : Math.round(v)} ${units[i]}`;
}

export function formatRate(r: number): string {
  if (r === 0) return "0";
  if (r < 0.1) return "<0.1";
  return r < 10 ? r.toFixed(1) : Math.round(r).toLocaleString("en-US");
}

/** "+120" / "−40" for a backlog change; empty when nothing moved or nothing is known. */
export function formatDelta(d: number | undefined): string {
  if (d === undefined || d === 0) return "";
  return d > 0 ? `+${formatCount(d)}` : `−${formatCount(-d)}`;
}
