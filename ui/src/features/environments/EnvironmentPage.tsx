// One environment: its settings, Test connection, edit/duplicate/remove, its health checks, and
// what it uses that RabbitMQ deprecated (classic mirroring breaks on an upgrade to 4.x).
import { useState } from "react";
import { useMutation, useQuery } from "@tanstack/react-query";
import { commands, type EnvironmentView, type ErrorReport } from "../../ipc/commands";
import { ConnectionResult } from "./ConnectionResult";
import { checkedBy, severityLabel, sortFindings } from "./deprecations";
import { Notes } from "../../common/Notes";
import { forgetRemembered } from "./forgetRemembered";

interface Props {
  environment: EnvironmentView;
  onEdit: () => void;
  onDuplicate: () => void;
  onRemoved: () => void;
}

export function EnvironmentPage({ environment: e, onEdit, onDuplicate, onRemoved }: Props) {
  const test = useMutation({ mutationFn: () => commands.testEnvironment(e.id) });
  const deprecations = useMutation({ mutationFn: () => commands.environmentDeprecations(e.id) });
  // RabbitMQ's own health checks: a few small requests, run when the page opens.
  const health = useQuery({ queryKey: ["environment-health", e.id], queryFn: () => commands.environmentHealth(e.id), staleTime: 30_000 });
  const [confirmRemove, setConfirmRemove] = useState(false);
  const remove = useMutation({
    mutationFn: () => commands.removeEnvironment(e.id),
    onSuccess: () => {
      forgetRemembered(e.id);
      onRemoved();
    },
  });

  return (
    <section className="page">
      <div className="card">
        <div className="card-head">
          <h2>Connection</h2>
          <div className="actions">
            <button className="primary" data-testid="test-connection" onClick={() => test.mutate()} disabled={test.isPending}>
              {test.isPending ? "Testing…" : "Test connection"}
            </button>
            <button onClick={onEdit} data-testid="edit-environment">
              Edit
            </button>
            <button onClick={onDuplicate}>Duplicate</button>
            {!confirmRemove ? (
              <button className="danger" data-testid="remove-environment" onClick={() => setConfirmRemove(true)}>
                Remove
              </button>
            ) : (
              <span className="confirm">
                Remove “{e.name}”?
                <button className="danger" data-testid="confirm-remove-yes" onClick={() => remove.mutate()}>
                  Yes, remove
                </button>
                <button onClick={() => setConfirmRemove(false)}>Cancel</button>
              </span>
            )}
          </div>
        </div>
        {confirmRemove && (
          <p className="muted" data-testid="confirm-remove">
            Goes: its settings, its password in the keyring, its last loaded queue list and the filters and scope this window remembers
            for it. Stays: its recorded history on this machine (<code>warren history info --env {e.id}</code>) and its audit records.
          </p>
        )}
        <dl className="details">
          <dt>Management</dt>
          <dd>{e.management_urls.join(" → ")}</dd>
          <dt>AMQP</dt>
          <dd>{e.amqp_urls.join(" → ")}</dd>
          <dt>User</dt>
          <dd>
            {e.username}{" "}
            <span className={e.has_secret ? "muted" : "warn-text"} data-testid="secret-state">
              {e.has_secret ? "· password in the OS keyring" : "· no password stored"}
            </span>
          </dd>
          <dt>Vhost</dt>
          <dd>{e.vhost ?? <span className="muted">all vhosts</span>}</dd>
          <dt>TLS</dt>
          <dd>
            {e.tls.verify ? "verify certificates" : <span className="warn-text">verification OFF</span>}
            {e.tls.ca_bundle && <> · CA {e.tls.ca_bundle}</>}
            {e.tls.client_cert && <> · client cert {e.tls.client_cert}</>}
          </dd>
          <dt>Mode</dt>
          <dd>{e.read_only ? "read-only" : "read-write"}</dd>
        </dl>
        {remove.error && <div className="error-box">{(remove.error as unknown as ErrorReport).message}</div>}
        {test.error && <div className="error-box" data-testid="test-error">{(test.error as unknown as ErrorReport).message}</div>}
        {test.data && <ConnectionResult report={test.data} />}
      </div>
      <div className="card" data-testid="health">
        <div className="card-head">
          <h2>Health</h2>
          <div className="actions">
            <button data-testid="health-refresh" onClick={() => void health.refetch()} disabled={health.isFetching}>
              {health.isFetching ? "Checking…" : "Check again"}
            </button>
          </div>
        </div>
        {health.error && <div className="error-box">{(health.error as unknown as ErrorReport).message}</div>}
        {health.data?.error && <div className="error-box">{health.data.error}</div>}
        {health.data && !health.data.error && (
          <>
            <div className="muted small">
              RabbitMQ {health.data.rabbitmq_version} · {health.data.cluster_name}
              {health.data.nodes.total > 0 && ` · ${health.data.nodes.running}/${health.data.nodes.total} nodes running`}
            </div>
            {health.data.alarms.map((a) => (
              <div key={`${a.resource}@${a.node}`} className="error-text">
                {a.resource} alarm on {a.node}: publishers are blocked
              </div>
            ))}
            <ul className="plain" data-testid="health-checks">
              {health.data.checks.map((c) => (
                <li key={c.name} data-ok={c.ok}>
                  <b className={c.ok ? (c.detail.startsWith("skipped") ? "muted" : "ok-text") : "error-text"}>{c.ok ? (c.detail.startsWith("skipped") ? "–" : "✓") : "✗"}</b> <code>{c.name}</code>
                  {c.detail !== "ok" && <span className={c.ok ? "muted" : ""}> · {c.detail}</span>}
                </li>
              ))}
            </ul>
          </>
        )}
      </div>
      <div className="card" data-testid="deprecations">
        <div className="card-head">
          <h2>Deprecations</h2>
          <div className="actions">
            <button data-testid="check-deprecations" onClick={() => deprecations.mutate()} disabled={deprecations.isPending}>
              {deprecations.isPending ? "Checking…" : "Check for deprecated features"}
            </button>
          </div>
        </div>
        {!deprecations.data && !deprecations.error && (
          <div className="muted small">Classic queue mirroring (ha-* policies) is gone in RabbitMQ 4.x; a 4.x broker also reports other deprecated features in use.</div>
        )}
        {deprecations.error && <div className="error-box">{(deprecations.error as unknown as ErrorReport).message}</div>}
        {deprecations.data && (
          <>
            {deprecations.data.findings.length === 0 ? (
              <div className="ok-text" data-testid="no-deprecations">No deprecated features in use.</div>
            ) : (
              <ul className="plain" data-testid="deprecation-findings">
                {sortFindings(deprecations.data.findings).map((f, i) => (
                  <li key={i} className={f.severity === "no_effect" ? "muted" : ""}>
                    <b className={f.severity === "breaks_on_upgrade" ? "error-text" : "warn-text"}>{severityLabel(f.severity)}</b> · {f.message}
                    {f.doc_url && (
                      <>
                        {" "}
                        <span className="muted">({f.doc_url})</span>
                      </>
                    )}
                  </li>
                ))}
              </ul>
            )}
            <div className="muted small">{checkedBy(deprecations.data)}</div>
            <Notes lines={deprecations.data.warnings} className="warn-text small" />
          </>
        )}
      </div>
    </section>
  );
}
