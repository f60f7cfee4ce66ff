import type { ConnectionReport } from "../../ipc/commands";
import { Notes } from "../../common/Notes";

export function ConnectionResult({ report }: { report: ConnectionReport }) {
  const m = report.management;
  const a = report.amqp;
  // Optional: Warren works without it (falls back to the management API), so never a failure.
  const p = report.prometheus as ConnectionReport["prometheus"] | undefined;
  return (
    <div className="test-result" data-testid="test-result">
      <div className={`check ${m.ok ? "ok" : "fail"}`} data-testid="management-check">
        <span className="check-icon">{m.ok ? "✓" : "✕"}</span>
        <div>
          <strong>Management API</strong>
          {m.ok ? (
            <div data-testid="broker-version">
              RabbitMQ {m.rabbitmq_version} · Erlang {m.erlang_version} · cluster {m.cluster_name}
              {m.node_count != null && <> · {m.node_count} node{m.node_count === 1 ? "" : "s"}</>}
              {m.user_tags && <> · tags: {m.user_tags.join(", ") || "none"}</>}
            </div>
          ) : (
            <div className="error-text" data-testid="management-error" data-kind={m.error_kind}>
              {m.error}
            </div>
          )}
          <Notes lines={m.warnings} className="warn-text" />
        </div>
      </div>
      <div className={`check ${a.ok ? "ok" : "fail"}`} data-testid="amqp-check">
        <span className="check-icon">{a.ok ? "✓" : "✕"}</span>
        <div>
          <strong>AMQP</strong>
          {a.ok ? (
            <div>connection opened and closed</div>
          ) : (
            <div className="error-text" data-testid="amqp-error" data-kind={a.error_kind}>
              {a.error}
            </div>
          )}
        </div>
      </div>
      {p && (
        <div className={`check ${p.ok ? "ok" : "warn"}`} data-testid="prometheus-check">
          <span className="check-icon">{p.ok ? "✓" : "!"}</span>
          <div>
            <strong>Prometheus</strong>
            <div className={p.ok ? undefined : "warn-text"} data-testid="prometheus-message">
              {p.message}
            </div>
          </div>
        </div>
      )}
    </div>
  );
}
