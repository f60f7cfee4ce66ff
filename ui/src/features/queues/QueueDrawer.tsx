// One queue's details: counts, rates, dead-letter target, policy and arguments from the
// inventory row; bindings and consumers (channel, connection, prefetch) fetched on opening.
import { useQuery } from "@tanstack/react-query";
import { commands, type ErrorReport } from "../../ipc/commands";
import { queryKeys } from "../../ipc/queryKeys";
import type { QueueRow } from "../../ipc/bindings/QueueRow";
import { formatBytes, formatCount, formatRate } from "./format";
import { LogsLink } from "../logs/LogsLink";
import type { EnvironmentView } from "../../ipc/commands";
import { STREAM_NOTE, formatDeliveryLimit, isStream, replicaSummary, retryFacts } from "./queueKinds";

interface Props {
  env: EnvironmentView;
  envId: string;
  row: QueueRow;
  onClose: () => void;
  onPurge: () => void;
  onMove: () => void;
}

export function QueueDrawer({ env, envId, row, onClose, onPurge, onMove }: Props) {
  const details = useQuery({
    queryKey: queryKeys.queueDetails(envId, row.vhost, row.name),
    queryFn: () => commands.queueDetails(envId, row.vhost, row.name),
  });
  const detailsError = details.error as unknown as ErrorReport | null;
  const facts: [string, string][] = [
    ["Vhost", row.vhost],
    ["Type", row.type],
    ["State", row.state],
    ["Node", row.node || "—"],
    ["Messages", `${formatCount(row.messages)} (ready ${formatCount(row.messages_ready)}, unacked ${formatCount(row.messages_unacknowledged)})`],
    ["Consumers", `${row.consumers}${row.consumer_utilisation != null ? ` · utilisation ${(row.consumer_utilisation * 100).toFixed(0)} %` : ""}`],
    ["Memory", formatBytes(row.memory)],
    ["Rates /s", `publish ${formatRate(row.publish_rate)} · deliver ${formatRate(row.deliver_rate)} · ack ${formatRate(row.ack_rate)} · redeliver ${formatRate(row.redeliver_rate)}`],
    ["Dead letters to", row.dead_letter_exchange ? `exchange ${row.dead_letter_exchange}${row.dead_letter_routing_key ? ` key ${row.dead_letter_routing_key}` : ""}` : "—"],
    ["Policy", row.policy ?? "—"],
    ["Flags", [row.durable && "durable", row.exclusive && "exclusive", row.auto_delete && "auto-delete"].filter(Boolean).join(", ") || "—"],
  ];
  if (row.type === "quorum") facts.push(["Delivery limit", formatDeliveryLimit(row)]);
  const replicas = replicaSummary(row);
  if (replicas) facts.push(["Replicas", replicas]);
  facts.push(...retryFacts(row));
  const stream = isStream(row);
  return (
    <aside className="drawer" data-testid="queue-drawer">
      <div className="drawer-head">
        <h2 title={row.name}>{row.name}</h2>
        <LogsLink env={env} target={{ vhost: row.vhost, queue: row.name, worker: row.worker, realm: row.realm }} />
        {!stream && (
          <>
            <button data-testid="drawer-move" onClick={onMove}>
              Move…
            </button>
            <button className="danger" data-testid="drawer-purge" onClick={onPurge}>
              Purge…
            </button>
          </>
        )}
        <button className="ghost" onClick={onClose} aria-label="Close" data-testid="drawer-close">
          ✕
        </button>
      </div>
      {stream && (
        <div className="muted small" data-testid="drawer-stream-note">
          {STREAM_NOTE}
        </div>
      )}
      <dl className="details">
        {facts.map(([k, v]) => (
          <div key={k} className="fact">
            <dt>{k}</dt>
            <dd>{v}</dd>
          </div>
        ))}
      </dl>
      <h3>Bindings</h3>
      {details.isLoading && <div className="muted">loading…</div>}
      {detailsError && <div className="error-text">{detailsError.message}</div>}
      <ul className="plain" data-testid="drawer-bindings">
        {details.data?.bindings.map((b, i) => (
          <li key={i}>
            <code>{b.source || "(default exchange)"}</code> → key <code>{b.routing_key || "(none)"}</code>
          </li>
        ))}
      </ul>
      <h3>Consumers</h3>
      {details.data && details.data.consumers.length === 0 && <div className="muted">none</div>}
      <ul className="plain" data-testid="drawer-consumers">
        {details.data?.consumers.map((c) => (
          <li key={`${c.channel}/${c.consumer_tag}`}>
            <code>{c.consumer_tag}</code> · prefetch {c.prefetch_count || "unlimited"} · {c.ack_required ? "manual ack" : "auto ack"}
            <div className="muted">
              {c.channel} · {c.user}
            </div>
          </li>
        ))}
      </ul>
      <h3>Arguments</h3>
      <pre className="args">{Object.keys(row.arguments).length ? JSON.stringify(row.arguments, null, 2) : "none"}</pre>
    </aside>
  );
}
