// The dead-letter screen: every DLQ of the environment (wired or named like one) and every
// framework error queue (MassTransit, NServiceBus, Spring AMQP), with its kind, depth and feeders; a DLQ's first messages read in place, grouped by (origin, reason) and by realm,
// searchable, each with its x-death history; and one-click replay — all, a group, or the
// selected messages — back where they died (or to a queue or exchange), or discard.
import { useMemo, useState } from "react";
import { useQuery } from "@tanstack/react-query";
import { commands, type EnvironmentView, type ErrorReport, type ReplayRequest } from "../../ipc/commands";
import { queryKeys } from "../../ipc/queryKeys";
import { overInventory, useInventory } from "../queues/useInventory";
import { queueKey } from "../queues/queuesModel";
import type { DeadLetterQueue } from "../../ipc/bindings/DeadLetterQueue";
import type { DeadLetter } from "../../ipc/bindings/DeadLetter";
import type { Target } from "../../ipc/bindings/Target";
import { formatBytes, formatCount } from "../queues/format";
import { MessageDetail } from "./MessageDetail";
import { ReplayDialog } from "./ReplayDialog";
import { EditRetryDialog } from "./EditRetryDialog";
import { ToolbarSelect } from "../../common/ToolbarSelect";
import { useRovingRows } from "../../common/useRovingRows";
import { clip, formatTime, foundLabel, groupFilter, kindLabel, needsInsist, readsLeftLabel, replayTarget, searchMessages } from "./dlqModel";

type TargetKind = Target["kind"];

/** Rows the table renders at most (the search narrows the rest). */
const SHOWN = 2000;

const READ_LIMITS = [50, 200, 1000, 5000, 20000].map((n) => ({ value: n, label: formatCount(n) }));

/** `vhost`: the scope (null: the DLQs of every loaded vhost). */
export function DeadLettersPage({ env, vhost }: { env: EnvironmentView; vhost: string | null }) {
  const { inventory } = useInventory(env);
  const topology = useQuery({
    queryKey: queryKeys.dlqList(env.id, inventory.dataUpdatedAt, vhost),
    queryFn: () => commands.dlqList(env.id, vhost),
    ...overInventory(inventory),
  });
  const [selected, setSelected] = useState<DeadLetterQueue | null>(null);
  const [limit, setLimit] = useState(200);
  const [search, setSearch] = useState("");
  const [picked, setPicked] = useState<Set<string>>(new Set());
  const [open, setOpen] = useState<string | null>(null);
  const [targetKind, setTargetKind] = useState<TargetKind>("origin");
  const [targetName, setTargetName] = useState("");
  const [dialog, setDialog] = useState<{ request: ReplayRequest; scope: string } | null>(null);
  const [exported, setExported] = useState<string | null>(null);
  // The open message is being edited for a retry (the dialog replaces its detail panel).
  const [editing, setEditing] = useState<DeadLetter | null>(null);
  // Set when the user confirmed reading a quorum DLQ whose head is one read from its limit.
  const [insistOn, setInsistOn] = useState<string | null>(null);
  const insist = !!selected && insistOn === queueKey(selected);
  const browse = useQuery({
    queryKey: queryKeys.dlqBrowse(env.id, { vhost: selected?.vhost, name: selected?.name, limit, insist }),
    queryFn: () => commands.dlqBrowse(env.id, selected!.vhost, selected!.name, limit, insist),
    enabled: !!selected && selected.queue_type !== "stream",
    staleTime: Infinity,
    retry: false,
  });
  const messages = useMemo(() => searchMessages(browse.data?.messages ?? [], search), [browse.data, search]);
  // Message rows by keyboard: Enter opens the detail (as a click does), Space picks the row.
  const roving = useRovingRows(Math.min(messages.length, SHOWN), {
    onSpace: (i) =>
      setPicked((s) => {
        const n = new Set(s);
        if (n.has(messages[i].key)) n.delete(messages[i].key);
        else n.add(messages[i].key);
        return n;
      }),
  });
  const error = (inventory.error ?? topology.error) as unknown as ErrorReport | null;
  const browseError = browse.error as unknown as ErrorReport | null;
  const queues = topology.data?.queues ?? [];
  const openMessage = browse.data?.messages.find((m) => m.key === open);

  const target = replayTarget(targetKind, targetName);

  /** `expected`: how many messages the scope holds, when the read covered the whole queue. */
  function ask(scope: string, filter: string, keys: string[] | null, discard = false, expected?: number) {
    if (!selected || !target) return;
    setDialog({ scope, request: { vhost: selected.vhost, queue: selected.name, target, filter, keys, discard, expected } });
  }

  function afterRun() {
    // The dialog refreshed what the run changed (refreshAfterChange).
    setPicked(new Set());
  }

  return (
    <section className="dlq-page" data-testid="dlq-page">
      <div className="dlq-list">
        <div className="dlq-list-head">
          <b>Dead-letter queues</b>
          <button className="ghost fixed-width" onClick={() => void inventory.refetch()} disabled={inventory.isFetching}>
            {inventory.isFetching ? "Refreshing…" : "Refresh"}
          </button>
        </div>
        {error && <div className="error-box">{error.message}</div>}
        {topology.isLoading && <div className="muted">Looking for dead-letter queues…</div>}
        {topology.data && queues.length === 0 && <div className="muted">No dead-letter queues: no queue names a dead-letter exchange that routes anywhere, and no framework error queue was found.</div>}
        {queues.map((q) => (
          <button
            key={`${q.vhost}/${q.name}`}
            className={`dlq-item ${selected?.vhost === q.vhost && selected.name === q.name ? "active" : ""}`}
            data-testid="dlq-item"
            data-vhost={q.vhost}
            onClick={() => {
              setSelected(q);
              setPicked(new Set());
              setOpen(null);
            }}
            title={q.feeders.length ? `Fed by ${q.feeders.length} queue(s): ${q.feeders.slice(0, 10).join(", ")}` : `${kindLabel(q.kind)} error queue, found ${foundLabel(q)}; no queue dead-letters into it`}
          >
            <span className="dlq-name">{q.name}</span>
            <span className="num">{formatCount(q.messages)}</span>
            <span className="muted small">
              {q.vhost} · <span className={`dlq-kind kind-${q.kind}`} data-testid="dlq-kind">{kindLabel(q.kind)}</span> · {foundLabel(q)}
              {q.queue_type === "quorum" ? " · quorum" : ""}
            </span>
          </button>
        ))}
        {topology.data?.unrouted.slice(0, 5).map((u) => (
          <div key={`${u.vhost}/${u.queue}`} className="warning-box inline small">
            Dead letters of <code>{u.queue}</code> are dropped: {u.problem}
          </div>
        ))}
      </div>
      <div className="dlq-main">
        {!selected && <div className="muted">Pick a dead-letter queue to read its messages.</div>}
        {selected && (
          <>
            <div className="queues-toolbar">
              <h2 className="dlq-title">{selected.name}</h2>
              <span className="count">
                {selected.vhost} · {formatCount(browse.data?.depth ?? selected.messages)} messages
              </span>
              <span className="spacer" />
              <label className="auto-refresh">
                to
                <select value={targetKind} onChange={(ev) => setTargetKind(ev.target.value as TargetKind)} data-testid="dlq-target">
                  <option value="origin">the queue it died in</option>
                  <option value="original_exchange">its original exchange</option>
                  <option value="queue">a queue…</option>
                  <option value="exchange">an exchange…</option>
                </select>
              </label>
              {(targetKind === "queue" || targetKind === "exchange") && (
                <input placeholder={`${targetKind} name`} aria-label={`Replay to this ${targetKind}`} value={targetName} onChange={(ev) => setTargetName(ev.target.value)} data-testid="dlq-target-name" />
              )}
              <button className="primary" disabled={!target || !browse.data?.depth} onClick={() => ask(`all ${formatCount(browse.data?.depth ?? 0)} messages`, "", null)} data-testid="dlq-retry-all">
                Retry all
              </button>
              <button disabled={!target || picked.size === 0} onClick={() => ask(`the ${picked.size} selected message(s)`, "", [...picked])} data-testid="dlq-retry-selected">
                Retry selected ({picked.size})
              </button>
              <button
                disabled={!browse.data?.depth}
                title="Write the selected messages (or all) to a JSON Lines file in Downloads: properties, typed headers, base64 body"
                onClick={() => {
                  setExported("Exporting…");
                  commands
                    .dlqExport(env.id, selected.vhost, selected.name, picked.size ? [...picked] : null)
                    .then((r) => setExported(`Exported ${formatCount(r.exported)} message(s) to ${r.path}`))
                    .catch((e: ErrorReport) => setExported(`Export failed: ${e.message}`));
                }}
                data-testid="dlq-export"
              >
                Export{picked.size ? ` (${picked.size})` : ""}
              </button>
              <button className="danger" disabled={picked.size === 0} onClick={() => ask(`the ${picked.size} selected message(s)`, "", [...picked], true)} data-testid="dlq-discard-selected">
                Discard…
              </button>
            </div>
            <div className="queues-toolbar">
              <ToolbarSelect label="Read the first" after="messages" value={limit} options={READ_LIMITS} onChange={setLimit} testId="dlq-limit" />
              <button className="ghost" onClick={() => void browse.refetch()} disabled={browse.isFetching}>
                {browse.isFetching ? "Reading…" : "Read again"}
              </button>
              <input className="dlq-search" placeholder="Search the loaded messages" value={search} onChange={(ev) => setSearch(ev.target.value)} data-testid="dlq-search" />
              {browse.data && <span className="count">{formatCount(messages.length)} of {formatCount(browse.data.read)} read</span>}
            </div>
            {exported && <div className="muted small" data-testid="dlq-exported">{exported}</div>}
            {browseError && !needsInsist(browseError) && <div className="error-box">{browseError.message}</div>}
            {browseError && needsInsist(browseError) && selected && (
              <div className="warning-box" data-testid="dlq-near-limit">
                {browseError.message}
                <div className="actions">
                  <button
                    className="danger"
                    data-testid="dlq-read-anyway"
                    onClick={() => {
                      if (window.confirm(`Read ${selected.name} anyway? Messages at their delivery limit are dropped or dead-lettered by the broker when given back.`))
                        setInsistOn(queueKey(selected));
                    }}
                  >
                    Read anyway…
                  </button>
                </div>
              </div>
            )}
            {selected.queue_type === "stream" && <div className="muted">This DLQ is a stream: reading it in place does not apply.</div>}
            {browse.data && (
              <>
                <div className="muted small" data-testid="dlq-cost">
                  {browse.data.cost}
                  {!browse.data.complete && ` Groups cover the first ${formatCount(browse.data.read)}; read more to cover the whole queue.`}
                </div>
                <div className="dlq-groups" data-testid="dlq-groups" role="region" aria-label="Groups by origin and reason" tabIndex={0}>
                  {browse.data.groups.slice(0, 12).map((g) => (
                    <span key={`${g.origin}/${g.reason}`} className="dlq-group">
                      <b>{formatCount(g.count)}</b> {g.origin} · {g.reason}
                      {g.realm && <span className="muted"> · {g.realm}</span>}
                      <button className="ghost row-action-inline" onClick={() => ask(`the ${g.origin} · ${g.reason} group`, groupFilter(g), null, false, browse.data?.complete ? g.count : undefined)} disabled={!target}>
                        Retry group
                      </button>
                    </span>
                  ))}
                  {browse.data.realms.length > 1 && (
                    <span className="muted small">
                      by realm: {browse.data.realms.slice(0, 8).map((r) => `${r.realm ?? "(none)"} ${formatCount(r.count)}`).join(" · ")}
                    </span>
                  )}
                </div>
                <div className="dlq-table grid-table" role="table" data-testid="dlq-table" ref={roving.container}>
                  <div className="dlq-row dlq-head" role="row">
                    <span role="columnheader">
                      <input
                        type="checkbox"
                        aria-label="Select all shown"
                        checked={messages.length > 0 && messages.every((m) => picked.has(m.key))}
                        onChange={(ev) => setPicked(ev.target.checked ? new Set(messages.map((m) => m.key)) : new Set())}
                      />
                    </span>
                    <span role="columnheader">#</span>
                    <span role="columnheader">Message id</span>
                    <span role="columnheader">Died in</span>
                    <span role="columnheader">Reason</span>
                    <span role="columnheader" className="num">Deaths</span>
                    <span role="columnheader">Last death</span>
                    <span role="columnheader" className="num">Size</span>
                  </div>
                  {messages.slice(0, SHOWN).map((m, i) => (
                    <div
                      key={m.key + m.position}
                      className={`dlq-row ${open === m.key ? "active" : ""}`}
                      role="row"
                      data-testid="dlq-row"
                      onClick={() => setOpen(m.key)}
                      {...roving.rowProps(i)}
                    >
                      <span role="cell">
                        <input
                          type="checkbox"
                          aria-label={`Select message ${m.position}`}
                          tabIndex={roving.inner(i)}
                          checked={picked.has(m.key)}
                          onClick={(ev) => ev.stopPropagation()}
                          onChange={(ev) =>
                            setPicked((s) => {
                              const n = new Set(s);
                              if (ev.target.checked) n.add(m.key);
                              else n.delete(m.key);
                              return n;
                            })
                          }
                        />
                      </span>
                      <span role="cell" className="muted">{m.position}</span>
                      <span role="cell" className="ellipsis" title={String(m.properties["message_id"] ?? "")}>
                        {String(m.properties["message_id"] ?? "—")}
                      </span>
                      <span role="cell" className="ellipsis" title={m.kind === "broker" ? (m.origin ?? "") : `${m.origin ?? "—"} (${kindLabel(m.kind)})`}>
                        {m.origin ?? "—"}
                      </span>
                      <span role="cell" title={m.failure?.exception_type ? `${m.failure.exception_type}: ${m.reason ?? ""}` : (m.reason ?? "")}>
                        {m.reason ? clip(m.reason, 80) : "—"}
                        {readsLeftLabel(m) && (
                          <span className={m.reads_left === 0 ? "error-text small" : "muted small"} data-testid="dlq-reads-left">
                            {" "}
                            · {readsLeftLabel(m)}
                          </span>
                        )}
                      </span>
                      <span role="cell" className="num">{m.deaths.reduce((n, d) => n + d.count, 0)}</span>
                      <span role="cell" className="muted nowrap">{formatTime(m.deaths[0]?.time)}</span>
                      <span role="cell" className="num nowrap">{formatBytes(m.body.size)}</span>
                    </div>
                  ))}
                </div>
              </>
            )}
          </>
        )}
      </div>
      {openMessage && !editing && <MessageDetail message={openMessage} onClose={() => setOpen(null)} onEditRetry={selected ? () => setEditing(openMessage) : undefined} />}
      {editing && selected && (
        <EditRetryDialog
          env={env}
          vhost={selected.vhost}
          queue={selected.name}
          message={editing}
          onClose={() => setEditing(null)}
          // The dialog's refreshAfterChange reads the DLQ again (a second read at once would
          // see the first one's messages held, and a depth of 0).
          onDone={() => {}}
        />
      )}
      {dialog && <ReplayDialog env={env} request={dialog.request} scope={dialog.scope} onClose={() => setDialog(null)} onDone={afterRun} />}
    </section>
  );
}
