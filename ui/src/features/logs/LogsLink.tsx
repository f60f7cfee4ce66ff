// "Logs ↗": opens the environment's logs link (e.g. Kibana) for a realm, a worker or a queue in
// the system browser. The core fills the template; nothing shows when the environment has none.
import { useState } from "react";
import { asErrorReport, commands, type EnvironmentView } from "../../ipc/commands";
import type { LogsTarget } from "../../ipc/bindings/LogsTarget";

export function LogsLink({ env, target, label = "Logs ↗" }: { env: EnvironmentView; target: LogsTarget; label?: string }) {
  const [error, setError] = useState<string | null>(null);
  if (!env.logs_url) return null;
  return (
    <>
      <button
        className="ghost row-action logs-link"
        data-testid="logs-link"
        title={`Open the logs (${env.logs_url})`}
        onClick={(ev) => {
          ev.stopPropagation();
          setError(null);
          commands.logsLink(env.id, target, true).catch((e) => setError(asErrorReport(e).message));
        }}
      >
        {label}
      </button>
      {error && <span className="error-text">{error}</span>}
    </>
  );
}
