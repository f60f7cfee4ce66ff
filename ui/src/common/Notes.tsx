// Lines of text the core sends along with an answer (warnings, notes), one block each.
export function Notes({ lines, className }: { lines: string[]; className: string }) {
  return (
    <>
      {lines.map((line) => (
        <div key={line} className={className}>
          {line}
        </div>
      ))}
    </>
  );
}
