// Times as operators read them in a table: local time, `2026-12-01 14:41:16` — sortable by eye,
// one width for every row, and half the width of the locale's long form (the 1024 px layout).
const pad = (n: number) => String(n).padStart(2, "0");

export function formatTimestamp(ms: number): string {
  const d = new Date(ms);
  if (Number.isNaN(d.getTime())) return "—";
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;
}
