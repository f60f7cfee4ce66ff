// The window: environment sidebar, header with the current environment, and the page.
import { lazy, Suspense, useCallback, useEffect, useLayoutEffect, useState } from "react";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { commands, type EnvironmentView } from "../ipc/commands";
import { queryKeys } from "../ipc/queryKeys";
import { EnvironmentSidebar } from "../features/environments/EnvironmentSidebar";
import { EnvironmentPage } from "../features/environments/EnvironmentPage";
import { EnvironmentForm } from "../features/environments/EnvironmentForm";
import type { FormMode } from "../features/environments/formModel";
import { Switcher } from "../features/environments/Switcher";
import { ImportDialog } from "../features/environments/ImportDialog";
import { tierLabel } from "../features/environments/tier";
import { QueuesPage } from "../features/queues/QueuesPage";
import { loadQueueFilter, rememberQueueFilter } from "../features/queues/queueFilterMemory";
// Loaded on first visit: the charts library alone is most of the code, and the window's first
// paint (the environment list and the queue table) needs none of it.
const RealmsPage = lazy(() => import("../features/realms/RealmsPage").then((m) => ({ default: m.RealmsPage })));
const DeadLettersPage = lazy(() => import("../features/deadletters/DeadLettersPage").then((m) => ({ default: m.DeadLettersPage })));
const GrowersPage = lazy(() => import("../features/history/GrowersPage").then((m) => ({ default: m.GrowersPage })));
const AlertsPage = lazy(() => import("../features/alerts/AlertsPage").then((m) => ({ default: m.AlertsPage })));
const DriftPage = lazy(() => import("../features/drift/DriftPage").then((m) => ({ default: m.DriftPage })));
const FleetPage = lazy(() => import("../features/fleet/FleetPage").then((m) => ({ default: m.FleetPage })));
const AuditPage = lazy(() => import("../features/audit/AuditPage").then((m) => ({ default: m.AuditPage })));
import { ArmControl } from "../features/environments/ArmControl";
import { VhostPicker } from "../features/vhosts/VhostPicker";
import { useVhostScope } from "../features/vhosts/useVhostScope";
import { appStartOnce } from "./startCall";

type Tab = "queues" | "realms" | "growers" | "deadletters" | "audit" | "environment";

export function App() {
  const queryClient = useQueryClient();
  // The start call already carries the list (one round trip to first paint); later
  // refreshes (after add/edit/remove) ask for the list alone.
  const start = useQuery({
    queryKey: queryKeys.appStart(),
    queryFn: async () => {
      const s = await appStartOnce();
      queryClient.setQueryData(queryKeys.environments(), s.environments);
      return s;
    },
    staleTime: Infinity,
  });
  const environments = useQuery({
    queryKey: queryKeys.environments(),
    queryFn: commands.listEnvironments,
    enabled: start.isSuccess,
    staleTime: 30_000,
  });
  const [currentId, setCurrentId] = useState<string | null>(null);
  const [form, setForm] = useState<FormMode | null>(null);
  const [switcherOpen, setSwitcherOpen] = useState(false);
  const [importOpen, setImportOpen] = useState(false);
  const [tab, setTab] = useState<Tab>("queues");
  // Fleet (every environment at a glance) or one environment. Decided once the list is first
  // known: the fleet is the first screen when there are several environments.
  const [view, setView] = useState<"fleet" | "drift" | "alerts" | "env" | null>(null);
  // The open alerts' count on the sidebar (local files only: cheap to poll).
  const alerts = useQuery({ queryKey: ["alerts"], queryFn: () => commands.alertsList(null, 200), enabled: start.isSuccess, refetchInterval: 30_000 });
  const openAlerts = (alerts.data ?? []).filter((a) => !a.resolved_at).length;
  // The queue filter of each environment, kept across tabs.
  const [queueFilters, setQueueFilters] = useState<Record<string, string>>({});
  // ... and across restarts (local storage, per environment).
  const setQueueFilter = useCallback((envId: string, f: string) => {
    rememberQueueFilter(envId, f);
    setQueueFilters((all) => ({ ...all, [envId]: f }));
  }, []);

  // Realms and Growers drill into the queue table filtered to what was clicked.
  const drillToQueues = (envId: string, f: string) => {
    setQueueFilter(envId, f);
    setTab("queues");
  };

  const list = environments.data ?? [];
  const current: EnvironmentView | undefined =
    list.find((e) => e.id === currentId) ?? list.find((e) => e.id === start.data?.last_environment) ?? list[0];

  // The vhost scope of Queues, Realms and Dead letters (null: all vhosts), per environment.
  const [scope, setScope] = useVhostScope(current?.id);

  const select = useMutation({
    mutationFn: (id: string) => commands.selectEnvironment(id),
  });
  const switchTo = useCallback(
    (id: string) => {
      setCurrentId(id);
      setView("env");
      select.mutate(id);
    },
    [select],
  );
  useEffect(() => {
    if (view === null && environments.isSuccess) setView(environments.data.length > 1 ? "fleet" : "env");
  }, [view, environments.isSuccess, environments.data]);
  const fleet = view === "fleet";
  const drift = view === "drift";
  const alertsView = view === "alerts";
  const shown = fleet || drift || alertsView ? undefined : current;

  useEffect(() => {
    const onKey = (ev: KeyboardEvent) => {
      if ((ev.ctrlKey || ev.metaKey) && ev.key.toLowerCase() === "k") {
        ev.preventDefault();
        setSwitcherOpen((o) => !o);
      }
    };
    window.addEventListener("keydown", onKey);
    return () => window.removeEventListener("keydown", onKey);
  }, []);

  // The e2e benchmark reads this wall-clock time to measure launch → rendered environment list
  // (the effect runs once the list is on screen; the render mark says when React began it).
  if (environments.isSuccess && performance.getEntriesByName("warren:list-render").length === 0) performance.mark("warren:list-render");
  useLayoutEffect(() => {
    if (environments.isSuccess && performance.getEntriesByName("warren:list-committed").length === 0) performance.mark("warren:list-committed");
  }, [environments.isSuccess]);
  useEffect(() => {
    if (environments.isSuccess) {
      performance.mark("warren:environments-rendered");
      (window as { __warrenRenderedAt?: number }).__warrenRenderedAt ??= Date.now();
    }
  }, [environments.isSuccess]);

  const refresh = useCallback(() => void queryClient.invalidateQueries({ queryKey: queryKeys.environments() }), [queryClient]);

  return (
    <div className={`shell tier-${shown?.tier ?? "dev"}`}>
      <EnvironmentSidebar
        environments={list}
        currentId={shown?.id}
        fleetActive={fleet}
        onFleet={list.length > 0 ? () => setView("fleet") : undefined}
        driftActive={drift}
        onDrift={list.length > 0 ? () => setView("drift") : undefined}
        alertsActive={alertsView}
        openAlerts={openAlerts}
        onAlerts={list.length > 0 ? () => setView("alerts") : undefined}
        loading={environments.isLoading || start.isLoading}
        onSelect={switchTo}
        onAdd={() => setForm({ kind: "create" })}
        onImport={() => setImportOpen(true)}
      />
      <main className="main">
        <header className="topbar">
          {shown ? (
            <>
              <h1 data-testid="current-env-name">{shown.name}</h1>
              <span className={`tier-badge tier-${shown.tier}`} data-testid="current-env-tier">
                {tierLabel[shown.tier]}
              </span>
              <ArmControl env={shown} onChanged={refresh} />
              {!shown.tls.verify && <span className="flag danger">TLS verification off</span>}
              {["queues", "realms", "growers", "deadletters"].includes(tab) && <VhostPicker env={shown} scope={scope} onChange={setScope} />}
            </>
          ) : (
            <h1>{fleet ? "Fleet" : drift ? "Drift" : alertsView ? "Alerts" : "Warren"}</h1>
          )}
          <button className="ghost switch-hint" onClick={() => setSwitcherOpen(true)} title="Switch environment">
            Switch <kbd>Ctrl</kbd>
            <kbd>K</kbd>
          </button>
        </header>
        {shown?.tier === "prod" && (
          <div className="prod-banner" role="alert" data-testid="prod-banner">
            PRODUCTION — {shown.name}: changes here affect live traffic
          </div>
        )}
        {start.error && <div className="error-box">Cannot start: {(start.error as { message?: string }).message}</div>}
        {start.data?.first_start.warning && (
          <div className="warning-box" data-testid="first-start-warning">
            The <code>local</code> environment was created without its password: {start.data.first_start.warning}
          </div>
        )}
        {environments.error && (
          <div className="error-box">Cannot read environments: {(environments.error as { message?: string }).message}</div>
        )}
        {shown && (
          <nav className="tabs" role="tablist">
            {(["queues", "realms", "growers", "deadletters", "audit", "environment"] as Tab[]).map((t) => (
              <button
                key={t}
                role="tab"
                aria-selected={tab === t}
                className={tab === t ? "active" : ""}
                data-testid={`tab-${t}`}
                onClick={() => setTab(t)}
              >
                {{ queues: "Queues", realms: "Realms", growers: "Growers", deadletters: "Dead letters", audit: "Audit", environment: "Environment" }[t]}
              </button>
            ))}
          </nav>
        )}
        <Suspense fallback={<div className="muted page-loading">Loading…</div>}>
          {fleet && <FleetPage environments={list} onOpen={switchTo} last={current} />}
          {drift && <DriftPage environments={list} first={current?.id} />}
          {alertsView && (
            <AlertsPage
              environments={list}
              first={current?.id}
              onOpen={(t) => {
                if (t.filter) setQueueFilter(t.envId, t.filter);
                switchTo(t.envId);
                setTab(t.tab);
              }}
            />
          )}
          {shown && tab === "queues" && (
            <QueuesPage
              key={shown.id}
              env={shown}
              vhost={scope}
              filter={queueFilters[shown.id] ?? loadQueueFilter(shown.id)}
              onFilterChange={(f) => setQueueFilter(shown.id, f)}
            />
          )}
          {shown && tab === "realms" && (
            <RealmsPage
              key={shown.id}
              env={shown}
              vhost={scope}
              onDrill={(f) => drillToQueues(shown.id, f)}
            />
          )}
          {shown && tab === "growers" && (
            <GrowersPage
              key={shown.id}
              env={shown}
              vhost={scope}
              onDrill={(f) => drillToQueues(shown.id, f)}
            />
          )}
          {shown && tab === "deadletters" && <DeadLettersPage key={shown.id} env={shown} vhost={scope} />}
          {shown && tab === "audit" && <AuditPage environments={list} />}
        </Suspense>
        {shown && tab === "environment" && (
          <EnvironmentPage
            key={shown.id}
            environment={shown}
            onEdit={() => setForm({ kind: "edit", environment: shown })}
            onDuplicate={() => setForm({ kind: "duplicate", environment: shown })}
            onRemoved={() => {
              const gone = shown.id;
              setQueueFilters(({ [gone]: _, ...rest }) => rest);
              setCurrentId(null);
              refresh();
            }}
          />
        )}
      </main>
      {form && (
        <EnvironmentForm
          mode={form}
          onClose={() => setForm(null)}
          onSaved={(view) => {
            setForm(null);
            refresh();
            switchTo(view.id);
          }}
        />
      )}
      {switcherOpen && (
        <Switcher
          environments={list}
          currentId={current?.id}
          onPick={(id) => {
            setSwitcherOpen(false);
            switchTo(id);
          }}
          onClose={() => setSwitcherOpen(false)}
        />
      )}
      {importOpen && (
        <ImportDialog
          onClose={() => setImportOpen(false)}
          onImported={refresh}
        />
      )}
    </div>
  );
}
