// One queue's details: counts, rates, dead-letter target, policy and arguments from the
// inventory row; bindings and consumers (channel, connection, prefetch) fetched on opening.
import { lazy, Suspense, useEffect, useRef } from "react";
import { useQuery } from "@tanstack/react-query";
import { commands, type ErrorReport } from "../../ipc/commands";
import { queryKeys } from "../../ipc/queryKeys";
import type { QueueRow } from "../../ipc/bindings/QueueRow";
import { formatBytes, formatCount, formatRate } from "./format";
import { LogsLink } from "../logs/LogsLink";
import type { EnvironmentView } from "../../ipc/commands";
import { STREAM_NOTE, formatDeliveryLimit, isStream, replicaSummary, retryFacts } from "./queueKinds";
import { useEscape, usePanelFocus } from "../../common/useEscape";

// The charts library loads with the first history shown, not with the window.
const HistoryChart = lazy(() => import("../history/HistoryChart").then((m) => ({ default: m.HistoryChart })));

interface Props {
  env: EnvironmentView;
  envId: string;
  row: QueueRow;
  onClose: () => void;
  onPurge: () => void;
  onMove: () => void;
  /** Read the first messages in place (a stream: from an offset). */
  onPeek: () => void;
  /** Publish a message to this queue (through the default exchange). */
  onPublish: () => void;
}

export function QueueDrawer({ env, envId, row, onClose, onPurge, onMove, onPeek, onPublish }: Props) {
  useEscape(onClose);
  const panel = usePanelFocus<HTMLElement>();
  const details = useQuery({
    queryKey: queryKeys.queueDetails(envId, row.vhost, row.name),
    queryFn: () => commands.queueDetails(envId, row.vhost, row.name),
  });
  const detailsError = details.error as unknown as ErrorReport | null;
  // A reloaded row (new counts) reads the bindings and consumers again, so the two agree.
  const first = useRef(true);
  const { refetch } = details;
  useEffect(() => {
    if (first.current) first.current = false;
    else void refetch();
  }, [row, refetch]);
  // The consumer list is read fresh; the row's count trails it by the broker's statistics
  // interval, so the count shown is the list's once it is here.
  const consumers = details.data ? details.data.consumers.length : row.consumers;
  const facts: [string, string][] = [
    ["Vhost", row.vhost],
    ["Type", row.type],
    ["State", row.state],
    ["Node", row.node || "—"],
    ["Messages", `${formatCount(row.messages)} (ready ${formatCount(row.messages_ready)}, unacked ${formatCount(row.messages_unacknowledged)})`],
    ["Consumers", `${consumers}${row.consumer_utilisation != null ? ` · utilisation ${(row.consumer_utilisation * 100).toFixed(0)} %` : ""}`],
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
    <aside className="drawer" data-testid="queue-drawer" ref={panel} tabIndex={-1} aria-label={`Queue ${row.name}`}>
      <div className="drawer-head">
        <h2 title={row.name}>{row.name}</h2>
        <button className="ghost" onClick={onClose} aria-label="Close the queue's details" title="Close (Esc)" data-testid="drawer-close">
          ✕
        </button>
      </div>
      {/* The actions on a row of their own: the queue's name keeps the head's whole width. */}
      <div className="drawer-actions">
        <LogsLink env={env} target={{ vhost: row.vhost, queue: row.name, worker: row.worker, realm: row.realm }} />
        <button data-testid="drawer-peek" onClick={onPeek} title={stream ? "Read messages from an offset (costs nothing)" : "Read the first messages in place (they are given back, marked redelivered)"}>
          Peek…
        </button>
        <button data-testid="drawer-publish" onClick={onPublish} title="Publish a message to this queue (default exchange), with a confirm">
          Publish…
        </button>
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
      <h3>History</h3>
      <Suspense fallback={<div className="muted">loading…</div>}>
        <HistoryChart envId={envId} selector={{ kind: "queue", vhost: row.vhost, key: row.name }} label={`Queue ${row.name}`} />
      </Suspense>
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
      <pre className="args" tabIndex={0}>{Object.keys(row.arguments).length ? JSON.stringify(row.arguments, null, 2) : "none"}</pre>
    </aside>
  );
}
