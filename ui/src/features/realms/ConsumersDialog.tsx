// Who serves a realm: the client connections consuming its queues (with the name and library
// each worker instance reports), their channels and consumers, and the realm's queues nobody
// consumes. Read-only.
import { useQuery } from "@tanstack/react-query";
import { commands, type EnvironmentView, type ErrorReport } from "../../ipc/commands";
import { queryKeys } from "../../ipc/queryKeys";
import { Modal } from "../../common/Modal";

/** `vhost`: only the realm's queues in that vhost (null: in every loaded vhost). */
export function ConsumersDialog({ env, realm, vhost = null, onClose }: { env: EnvironmentView; realm: string; vhost?: string | null; onClose: () => void }) {
  const q = useQuery({
    queryKey: queryKeys.realmConsumers(env.id, realm, vhost),
    queryFn: () => commands.realmConsumers(env.id, realm, null, vhost),
  });
  const error = q.error as unknown as ErrorReport | null;
  const r = q.data;
  return (
    <Modal title={`Consumers of realm “${realm}”${vhost !== null ? ` in vhost ${vhost}` : ""}`} className="wide" testId="consumers-dialog" onClose={onClose}>
      {q.isLoading && <div className="muted">Loading…</div>}
      {error && <div className="error-box">{error.message}</div>}
      {r && (
        <>
          <div className="count" data-testid="consumers-summary">
            {r.connections.length} connection{r.connections.length === 1 ? "" : "s"} ·{" "}
            {r.connections.reduce((n, c) => n + c.consumers.length, 0)} consumers · {r.unserved.length} queue
            {r.unserved.length === 1 ? "" : "s"} without a consumer
          </div>
          {r.connections.map((c) => (
            <div key={c.name} className="consumer-conn" data-testid="consumer-connection">
              <div className="consumer-head">
                <b>{c.client_name ?? c.name}</b>
                <span className="muted">
                  {" "}
                  {c.client ?? "unknown client"} · {c.user}@{c.peer} · {c.channels} channel{c.channels === 1 ? "" : "s"}
                </span>
              </div>
              <table className="mini-table">
                <tbody>
                  {c.consumers.map((k) => (
                    <tr key={k.channel + k.consumer_tag}>
                      <td>{k.queue}</td>
                      <td className="muted">{k.channel}</td>
                      <td className="num">prefetch {k.prefetch_count}</td>
                      <td>{k.ack_required ? "" : "auto-ack"}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          ))}
          {r.unserved.length > 0 && (
            <div className="warning-box inline" data-testid="consumers-unserved">
              No consumer: {r.unserved.slice(0, 30).join(", ")}
              {r.unserved.length > 30 ? ` and ${r.unserved.length - 30} more` : ""}
            </div>
          )}
        </>
      )}
      <div className="modal-actions">
        <button onClick={onClose} data-testid="consumers-close">
          Close
        </button>
      </div>
    </Modal>
  );
}
