// "· last loaded 5 min ago": the age of the rows an earlier run loaded, standing in while the
// broker is read (or refuses). It ages on screen: a broker that stays down for an hour must
// not leave "2 min ago" under rows that are now an hour older.
import { formatTimestamp } from "../../common/time";
import { useNow } from "../../common/useNow";
import { ageLabel } from "../history/historyModel";

export function LastKnownNote({ takenAt, reading }: { takenAt: string; reading: boolean }) {
  const now = useNow(10_000);
  const t = Date.parse(takenAt);
  return (
    <span
      className="stale-note"
      data-testid="queue-last-known"
      title={`What this window last loaded from the broker, at ${formatTimestamp(t)}: the figures are not current`}
    >
      {" "}
      · last loaded {ageLabel(t, now)} ago{reading ? ", reading the broker…" : ", not current"}
    </span>
  );
}
