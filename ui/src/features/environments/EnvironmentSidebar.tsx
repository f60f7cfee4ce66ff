import type { EnvironmentView } from "../../ipc/commands";
import { tierLabel } from "./tier";

interface Props {
  environments: EnvironmentView[];
  currentId?: string;
  loading: boolean;
  onSelect: (id: string) => void;
  onAdd: () => void;
  onImport: () => void;
  /** Show every environment at a glance (absent: no environment yet). */
  onFleet?: () => void;
  fleetActive?: boolean;
  /** Compare two environments' topology. */
  onDrift?: () => void;
  driftActive?: boolean;
  /** Every environment's alerts, and how many fire now. */
  onAlerts?: () => void;
  alertsActive?: boolean;
  openAlerts?: number;
}

export function EnvironmentSidebar({ environments, currentId, loading, onSelect, onAdd, onImport, onFleet, fleetActive, onDrift, driftActive, onAlerts, alertsActive, openAlerts = 0 }: Props) {
  return (
    <nav className="sidebar" aria-label="Environments">
      <div className="brand">
        <span className="logo">W</span> Warren
      </div>
      {onFleet && <NavButton active={fleetActive} onClick={onFleet} testid="nav-fleet" title="Every environment at a glance" label="◫ Fleet" />}
      {onDrift && (
        <NavButton active={driftActive} onClick={onDrift} testid="nav-drift" title="Compare two environments' queues, exchanges, bindings and policies" label="⇄ Drift" />
      )}
      {onAlerts && (
        <NavButton
          active={alertsActive}
          onClick={onAlerts}
          testid="nav-alerts"
          title="Every environment's alerts, and their rules"
          label="⚑ Alerts"
          badge={openAlerts > 0 ? `${openAlerts} firing` : undefined}
        />
      )}
      <div className="sidebar-title">Environments</div>
      {loading && <div className="muted pad">Loading…</div>}
      <ul className="env-list" data-testid="env-list">
        {environments.map((e) => (
          <li key={e.id}>
            <button
              className={`env-item ${e.id === currentId ? "active" : ""} tier-${e.tier}`}
              aria-current={e.id === currentId ? "true" : undefined}
              data-testid={`env-item-${e.id}`}
              onClick={() => onSelect(e.id)}
              title={e.management_urls.join(", ")}
            >
              <span className={`tier-dot tier-${e.tier}`} aria-hidden />
              <span className="env-name">{e.name}</span>
              {e.id === currentId && (
                <span className="current-mark" title="The environment shown">
                  ✓<span className="sr-only"> current</span>
                </span>
              )}
              <span className={`tier-tag tier-${e.tier}`}>{tierLabel[e.tier]}</span>
              {!e.has_secret && (
                <span className="no-secret" role="img" title="No password in the keyring" aria-label="No password in the keyring">
                  ⚠
                </span>
              )}
              {!e.tls.verify && (
                <span className="no-secret" title="TLS certificate verification is off for this environment">
                  TLS off
                </span>
              )}
            </button>
          </li>
        ))}
      </ul>
      <div className="sidebar-actions">
        <button data-testid="add-environment" onClick={onAdd}>
          + Add environment
        </button>
        <button className="ghost" onClick={onImport}>
          Import rabbitmqadmin.conf
        </button>
      </div>
    </nav>
  );
}

/** A view over every environment (Fleet, Drift), above the list. */
function NavButton({ active, onClick, testid, title, label, badge }: { active?: boolean; onClick: () => void; testid: string; title: string; label: string; badge?: string }) {
  return (
    <button className={`sidebar-fleet ${active ? "active" : ""}`} aria-current={active ? "page" : undefined} data-testid={testid} onClick={onClick} title={title}>
      {label}
      {badge && (
        <span className="nav-badge" data-testid={`${testid}-badge`}>
          {badge}
        </span>
      )}
    </button>
  );
}
