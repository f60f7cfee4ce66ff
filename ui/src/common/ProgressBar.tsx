// The bar of a running job (a move, a replay); `percent` from percentDone().
export function ProgressBar({ percent }: { percent: number }) {
  return (
    <div className="progress">
      <div className="bar" style={{ width: `${percent}%` }} />
    </div>
  );
}
