// In-app help for the filter language (the README has the same table).
const ROWS: [string, string][] = [
  ["billing acme", "names containing both words (any case)"],
  ["billing.*.acme", "glob over the whole name (* and ?)"],
  ["/^billing\\.(acme|globex)$/i", "regular expression on the name (i: ignore case)"],
  ['"two words"', "a quoted phrase"],
  ["messages>1000  ready>=10  unacked<5  consumers=0", "numbers: > >= < <= = != (10k, 1m)"],
  ["memory>10MB", "bytes: B KB MB GB TB"],
  ["publish_rate>1.5  deliver_rate<0.1", "messages per second"],
  ["vhost:/  type:quorum  state:running  node:rabbit@a*  policy:ha-*", "text fields (exact, * globs, !=)"],
  ["dlx:yes / dlx:no", "has a dead-letter exchange"],
  ["idle:>1h", "idle longer than (s m h d w)"],
  ["delivery_limit<5  messages_delayed>0  messages_dlx>0", "quorum / 4.3 numbers (queues without them never match)"],
  ["leader:rabbit@a*", "the node leading a quorum queue or stream"],
  ["realm:acme  worker:billing", "realm template mapping (realm views)"],
  ["-term", "negation, e.g. -type:stream"],
  ["a b | c d   (or: a b OR c d)", "either group"],
];

export function FilterHelp() {
  return (
    <div className="filter-help" data-testid="filter-help">
      <table>
        <tbody>
          {ROWS.map(([q, what]) => (
            <tr key={q}>
              <td>
                <code>{q}</code>
              </td>
              <td>{what}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
