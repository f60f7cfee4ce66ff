// Typed wrappers over the Tauri commands. The types come from Rust (ts-rs, ./bindings);
// nothing here is a hand-kept twin of a Rust struct.
import { Channel, invoke } from "@tauri-apps/api/core";
import type { AppStart } from "./bindings/AppStart";
import type { ConnectionReport } from "./bindings/ConnectionReport";
import type { Environment } from "./bindings/Environment";
import type { EnvironmentView } from "./bindings/EnvironmentView";
import type { ErrorReport } from "./bindings/ErrorReport";
import type { ImportReport } from "./bindings/ImportReport";
import type { Inventory } from "./bindings/Inventory";
import type { FilterOutcome } from "./bindings/FilterOutcome";
import type { PurgeReport } from "./bindings/PurgeReport";
import type { QueueRef } from "./bindings/QueueRef";
import type { QueueDetails } from "./bindings/QueueDetails";
import type { RefreshEvent } from "./bindings/RefreshEvent";
import type { MoveReport } from "./bindings/MoveReport";
import type { Progress } from "./bindings/Progress";
import type { RealmView } from "./bindings/RealmView";
import type { Preview } from "./bindings/Preview";
import type { PolicyPlan } from "./bindings/PolicyPlan";
import type { WarrenPolicy } from "./bindings/WarrenPolicy";
import type { LogsTarget } from "./bindings/LogsTarget";
import type { RealmConsumers } from "./bindings/RealmConsumers";
import type { Browse } from "./bindings/Browse";
import type { DeadLetterTopology } from "./bindings/DeadLetterTopology";
import type { ReplayPlan } from "./bindings/ReplayPlan";
import type { ReplayReport } from "./bindings/ReplayReport";
import type { Target } from "./bindings/Target";
import type { ReplayRequest } from "./bindings/ReplayRequest";
import type { PolicyRequest } from "./bindings/PolicyRequest";
import type { ExportReport } from "./bindings/ExportReport";
import type { AuditRecord } from "./bindings/AuditRecord";
import type { Verification } from "./bindings/Verification";
import type { DeprecationReport } from "./bindings/DeprecationReport";
import type { DemoReport } from "./bindings/DemoReport";
import type { Grower } from "./bindings/Grower";
import type { HistoryInfo } from "./bindings/HistoryInfo";
import type { HistoryMetric } from "./bindings/HistoryMetric";
import type { Series } from "./bindings/Series";
import type { SeriesKind } from "./bindings/SeriesKind";
import type { SeriesSelector } from "./bindings/SeriesSelector";
import type { Peek } from "./bindings/Peek";
import type { PeekedMessage } from "./bindings/PeekedMessage";
import type { StreamOffset } from "./bindings/StreamOffset";
import type { PublishRequest } from "./bindings/PublishRequest";
import type { PublishReport } from "./bindings/PublishReport";
import type { EditRequest } from "./bindings/EditRequest";
import type { EditPreview } from "./bindings/EditPreview";
import type { EditRetryReport } from "./bindings/EditRetryReport";
import type { EnvStatus } from "./bindings/EnvStatus";
import type { DriftReport } from "./bindings/DriftReport";
import type { Alert } from "./bindings/Alert";

export type { PolicyPlan, Preview, RealmConsumers, RealmView, WarrenPolicy };
export type { Browse, DeadLetterTopology, ReplayPlan, ReplayReport, ReplayRequest, Target };
export type { PolicyRequest };
export type { AuditRecord, Verification };
export type { DeprecationReport };
export type { DemoReport };
export type { EditPreview, EditRequest, EditRetryReport, Peek, PeekedMessage, PublishReport, PublishRequest, StreamOffset };
export type { Alert, DriftReport, EnvStatus };
export type { Grower, HistoryInfo, HistoryMetric, Series, SeriesKind, SeriesSelector };

export type { MoveReport, Progress, PurgeReport, QueueDetails, QueueRef, RefreshEvent };
export type { AppStart, ConnectionReport, Environment, EnvironmentView, ErrorReport, FilterOutcome, ImportReport, Inventory };

/** Every command rejects with an ErrorReport; anything else (a bug) is wrapped into one. */
async function call<T>(cmd: string, args?: Record<string, unknown>): Promise<T> {
  try {
    return await invoke<T>(cmd, args);
  } catch (e) {
    throw asErrorReport(e);
  }
}

export function asErrorReport(e: unknown): ErrorReport {
  if (e && typeof e === "object" && "kind" in e && "message" in e) {
    const r = e as ErrorReport;
    return { kind: r.kind, message: r.message, fields: r.fields ?? [] };
  }
  return { kind: "internal", message: String(e), fields: [] };
}

export const commands = {
  appStart: () => call<AppStart>("app_start"),
  listEnvironments: () => call<EnvironmentView[]>("environments_list"),
  /** The password goes to the OS keyring; it is never sent back. */
  createEnvironment: (environment: Environment, password: string | null) =>
    call<EnvironmentView>("environment_create", { environment, password }),
  updateEnvironment: (id: string, environment: Environment, password: string | null) =>
    call<EnvironmentView>("environment_update", { id, environment, password }),
  duplicateEnvironment: (id: string, newId: string, newName: string | null) =>
    call<EnvironmentView>("environment_duplicate", { id, newId, newName }),
  removeEnvironment: (id: string) => call<void>("environment_remove", { id }),
  selectEnvironment: (id: string) => call<void>("environment_select", { id }),
  /** Let a read-only environment's writes through for `minutes` (this app only; audited). */
  armEnvironment: (id: string, minutes: number) => call<EnvironmentView>("environment_arm", { id, minutes }),
  disarmEnvironment: (id: string) => call<EnvironmentView>("environment_disarm", { id }),
  /** Test a saved environment, or the form's unsaved edit with the typed password. */
  testEnvironment: (id: string, environment: Environment | null = null, password: string | null = null) =>
    call<ConnectionReport>("environment_test", { id, environment, password }),
  /** Deprecated features in use: classic mirroring policies, and what a 4.x broker reports. */
  environmentDeprecations: (id: string) => call<DeprecationReport>("environment_deprecations", { id }),
  /** The jump host key's passphrase to the keyring ("" removes it); never read back. */
  setSshPassphrase: (id: string, passphrase: string) => call<null>("environment_ssh_passphrase", { id, passphrase }),
  importRabbitmqadmin: (path: string | null) => call<ImportReport>("environments_import_rabbitmqadmin", { path }),
  /** The environment's logs link filled for a realm, worker or queue; `open`: in the browser. */
  logsLink: (envId: string, target: LogsTarget, open: boolean) => call<string | null>("logs_link", { envId, target, open }),
  /** Reload the environment's queues from the broker (kept in the app for filtering). */
  refreshQueues: (envId: string, onEvent: (e: RefreshEvent) => void = () => {}) => {
    const channel = new Channel<RefreshEvent>();
    channel.onmessage = onEvent;
    return call<Inventory>("queues_refresh", { envId, onEvent: channel });
  },
  /** Indices of the loaded queues that match `query` (the core's filter language). */
  filterQueues: (envId: string, query: string, vhost: string | null = null) =>
    call<FilterOutcome>("queues_filter", { envId, query, vhost }),
  /** Bindings and consumers of one queue (the detail drawer). */
  queueDetails: (envId: string, vhost: string, name: string) => call<QueueDetails>("queue_details", { envId, vhost, name }),
  /** Purge queues (the core refuses on a read-only environment); `dryRun` only lists them. */
  purgeQueues: (envId: string, targets: QueueRef[], dryRun: boolean) =>
    call<PurgeReport>("queues_purge", { envId, targets, dryRun }),
  /** Move every message of `from` to `to` with a broker shovel; `moveId` names it for cancelling. */
  moveQueue: (envId: string, vhost: string, from: string, to: string, moveId: string, onProgress: (p: Progress) => void) => {
    const channel = new Channel<Progress>();
    channel.onmessage = onProgress;
    return call<MoveReport>("queues_move", { envId, vhost, from, to, moveId, onProgress: channel });
  },
  /** Stop a running move (its shovel is removed; what moved stays moved). */
  cancelMove: (moveId: string) => call<boolean>("queues_move_cancel", { moveId }),
  /** Totals per realm, worker and cell of the loaded queues, and the template that mapped them. */
  /** A series from the environment's local history over the last `sinceS` seconds. */
  historySeries: (envId: string, selector: SeriesSelector, metric: HistoryMetric, sinceS: number) =>
    call<Series>("history_series", { envId, selector, metric, sinceS }),
  /** Each selector's last `sinceS` seconds in `buckets` slots (null: not sampled), for table sparklines. */
  historySparklines: (envId: string, selectors: SeriesSelector[], metric: HistoryMetric, sinceS: number, buckets: number) =>
    call<(number | null)[][]>("history_sparklines", { envId, selectors, metric, sinceS, buckets }),
  /** The biggest growers over the last `sinceS` seconds, with "growing since". */
  historyGrowers: (envId: string, by: SeriesKind, vhost: string | null, metric: HistoryMetric, sinceS: number, limit: number) =>
    call<Grower[]>("history_growers", { envId, by, vhost, metric, sinceS, limit }),
  /** What the environment's history holds and its size on disk. */
  historyInfo: (envId: string) => call<HistoryInfo>("history_info", { envId }),
  /** Every environment's status, each sent to `onStatus` as soon as it is known, then all. */
  fleetStatus: (quick: boolean, onStatus: (s: EnvStatus) => void) => {
    const channel = new Channel<EnvStatus>();
    channel.onmessage = onStatus;
    return call<EnvStatus[]>("fleet_status", { quick, onStatus: channel });
  },
  /** One environment's health checks, nodes and alarms (a fleet card without queue figures). */
  environmentHealth: (id: string) => call<EnvStatus>("environment_health", { id }),
  /** The drift between environment A (vhost, null: all) and B; read-only. */
  driftCompare: (envA: string, vhostA: string | null, envB: string, vhostB: string | null) =>
    call<DriftReport>("drift_compare", { envA, vhostA, envB, vhostB }),
  /** Write a drift report to the Downloads folder (JSON, or CSV); the file's path. */
  driftExport: (report: DriftReport, csv: boolean) => call<string>("drift_export", { report, csv }),
  /** Every environment's alerts (or one's), open ones first. */
  alertsList: (envId: string | null, limit: number) => call<Alert[]>("alerts_list", { envId, limit }),
  /** An environment's alert rules, one spec per line as the CLI writes them. */
  alertRules: (envId: string) => call<string[]>("alert_rules", { envId }),
  /** Replace an environment's alert rules (field errors name the line that does not parse). */
  setAlertRules: (envId: string, rules: string[]) => call<EnvironmentView>("alert_rules_set", { envId, rules }),
  realmsSummary: (envId: string, vhost: string | null = null) => call<RealmView>("realms_summary", { envId, vhost }),
  /** What a realm template (or `auto`) would map on the loaded queues. */
  realmsPreview: (envId: string, template: string) => call<Preview>("realms_preview", { envId, template }),
  /** Plan (apply = false) or declare a policy for a realm's (or a worker's) queues. */
  realmPolicy: (
    envId: string,
    realm: string,
    worker: string | null,
    settings: string[],
    priority: number,
    apply: boolean,
    vhost: string | null = null,
  ) => call<PolicyPlan>("realms_policy", { envId, request: { realm, worker, vhost, settings, priority, apply } satisfies PolicyRequest }),
  /** The policies Warren created (`warren-realm-…`). */
  realmPolicies: (envId: string) => call<WarrenPolicy[]>("realms_policies", { envId }),
  removeRealmPolicy: (envId: string, vhost: string, name: string) => call<void>("realms_policy_remove", { envId, vhost, name }),
  /** The realm view with dead letters attributed per realm; `scan` reads shared DLQs to split them. */
  realmsDeadLetters: (envId: string, scan: boolean, vhost: string | null = null) =>
    call<RealmView>("realms_dead_letters", { envId, scan, vhost }),
  /** Connections, channels and consumers serving a realm's queues. */
  realmConsumers: (envId: string, realm: string, worker: string | null, vhost: string | null = null) =>
    call<RealmConsumers>("realms_consumers", { envId, realm, worker, vhost }),
  /** The dead-letter queues among the loaded queues. */
  dlqList: (envId: string, vhost: string | null = null) => call<DeadLetterTopology>("dlq_list", { envId, vhost }),
  /** Read the first `limit` messages of a DLQ in place (they are marked redelivered). */
  /** `insist`: read a quorum queue whose head is one read from its delivery limit anyway
   * (without it the core refuses with kind `near_delivery_limit`). */
  dlqBrowse: (envId: string, vhost: string, queue: string, limit: number, insist = false) =>
    call<Browse>("dlq_browse", { envId, vhost, queue, limit, insist }),
  /** The dry run of a replay or discard. */
  dlqPlan: (envId: string, request: ReplayRequest) => call<ReplayPlan>("dlq_plan", { envId, request }),
  /** Run a replay or discard; `jobId` names it for dlqCancel. */
  dlqReplay: (envId: string, request: ReplayRequest, jobId: string, onProgress: (p: Progress) => void) => {
    const channel = new Channel<Progress>();
    channel.onmessage = onProgress;
    return call<ReplayReport>("dlq_replay", { envId, request, jobId, onProgress: channel });
  },
  dlqCancel: (jobId: string) => call<boolean>("dlq_cancel", { jobId }),
  /** Read up to `limit` messages of any queue in place (classic/quorum: marked redelivered, see
   * the cost; a stream from `offset`, which costs nothing). */
  peekQueue: (envId: string, vhost: string, queue: string, limit: number, offset: StreamOffset | null = null, insist = false) =>
    call<Peek>("messages_peek", { envId, vhost, queue, limit, offset, insist }),
  /** Publish one message with confirm and mandatory (refused on read-only; audited). */
  publishMessage: (envId: string, request: PublishRequest) => call<PublishReport>("messages_publish", { envId, request }),
  /** What retrying an edited dead letter would send: the diff and changed headers. Changes nothing. */
  dlqEditPreview: (envId: string, request: EditRequest) => call<EditPreview>("dlq_edit_preview", { envId, request }),
  /** Send the edited copy to the message's origin; the original is acked only after the confirm. */
  dlqEditRetry: (envId: string, request: EditRequest) => call<EditRetryReport>("dlq_edit_retry", { envId, request }),
  /** Seed the demo topology (as `warren demo seed`) into the environment's default vhost, else
   * `warren-demo`; refused when that vhost holds queues or the environment is read-only. */
  demoSeed: (envId: string) => call<DemoReport>("demo_seed", { envId }),
  /** The audit log's records, oldest first, and the state of its hash chain. */
  auditList: () => call<AuditRecord[]>("audit_list"),
  auditVerify: () => call<Verification>("audit_verify"),
  /** Write the selected (or all) messages of a DLQ to a JSON Lines file in Downloads. */
  dlqExport: (envId: string, vhost: string, queue: string, keys: string[] | null) =>
    call<ExportReport>("dlq_export", { envId, vhost, queue, keys }),
};
