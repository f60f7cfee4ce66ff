// The environment form's state and its mapping to and from the Rust `Environment`.
// Pure functions, unit-tested; validation itself happens in the core (one set of rules).
import type { Environment } from "../../ipc/bindings/Environment";
import type { FieldError } from "../../ipc/bindings/FieldError";
import type { Tier } from "../../ipc/bindings/Tier";
import type { EnvironmentView } from "../../ipc/bindings/EnvironmentView";

export interface EnvironmentDraft {
  id: string;
  name: string;
  tier: Tier;
  managementUrls: string; // one URL per line: nodes of one cluster, tried in order
  amqpUrls: string;
  username: string;
  vhost: string;
  logsUrl: string; // logs link template: {worker} {realm} {queue} {vhost}
  prometheusUrl: string; // rabbitmq_prometheus endpoint; empty: the management host, port 15692
  realmExclude: string; // queues not partitioned by realm: names or globs, one per line or comma separated
  readOnly: boolean;
  tlsVerify: boolean;
  caBundle: string;
  clientCert: string;
  clientKey: string;
  // The SSH jump host (empty host: none); the key's passphrase is sent apart, to the keyring.
  sshHost: string;
  sshUser: string;
  sshPort: string;
  sshKey: string;
  sshKnownHosts: string;
  sshAgent: boolean;
}

// A new environment starts empty: pre-filled URLs made a second copy of `local` the easy path.
// The form shows examples as placeholders (URL_EXAMPLES); Duplicate is the way to copy one.
export const emptyDraft: EnvironmentDraft = {
  id: "",
  name: "",
  tier: "dev",
  managementUrls: "",
  amqpUrls: "",
  username: "",
  vhost: "",
  logsUrl: "",
  prometheusUrl: "",
  realmExclude: "",
  readOnly: false,
  tlsVerify: true,
  caBundle: "",
  clientCert: "",
  clientKey: "",
  sshHost: "",
  sshUser: "",
  sshPort: "",
  sshKey: "",
  sshKnownHosts: "",
  sshAgent: true,
};

/** What the URL fields show while empty: the shape, not values to keep. */
export const URL_EXAMPLES = {
  managementUrls: "https://rabbit-1.internal:15672\nhttps://rabbit-2.internal:15672",
  amqpUrls: "amqps://rabbit-1.internal:5671",
} as const;

const lines = (s: string) =>
  s
    .split(/[\n,]/)
    .map((l) => l.trim())
    .filter((l) => l.length > 0);

const optional = (s: string) => (s.trim() === "" ? undefined : s.trim());

export function draftFromEnvironment(e: Environment): EnvironmentDraft {
  return {
    id: e.id,
    name: e.name,
    tier: e.tier,
    managementUrls: e.management_urls.join("\n"),
    amqpUrls: e.amqp_urls.join("\n"),
    username: e.username,
    vhost: e.vhost ?? "",
    logsUrl: e.logs_url ?? "",
    prometheusUrl: e.prometheus_url ?? "",
    realmExclude: (e.realm_exclude ?? []).join("\n"),
    readOnly: e.read_only,
    tlsVerify: e.tls.verify,
    caBundle: e.tls.ca_bundle ?? "",
    clientCert: e.tls.client_cert ?? "",
    clientKey: e.tls.client_key ?? "",
    sshHost: e.ssh?.host ?? "",
    sshUser: e.ssh?.user ?? "",
    sshPort: e.ssh?.port != null ? String(e.ssh.port) : "",
    sshKey: e.ssh?.key_file ?? "",
    sshKnownHosts: e.ssh?.known_hosts ?? "",
    sshAgent: e.ssh?.use_agent ?? true,
  };
}

/** The jump host the draft names, or none. A port that is not a number is sent as 0, which
 * the core refuses with its message under the field. */
function sshFromDraft(d: EnvironmentDraft): Environment["ssh"] {
  if (d.sshHost.trim() === "") return undefined;
  const port = d.sshPort.trim() === "" ? undefined : /^\d{1,5}$/.test(d.sshPort.trim()) ? Number(d.sshPort.trim()) : 0;
  return {
    host: d.sshHost.trim(),
    user: optional(d.sshUser),
    port,
    key_file: optional(d.sshKey),
    use_agent: d.sshAgent ? undefined : false,
    known_hosts: optional(d.sshKnownHosts),
  };
}

/** `base` keeps fields the form does not edit (e.g. the realm template). */
export function environmentFromDraft(d: EnvironmentDraft, base?: Environment): Environment {
  return {
    ...base,
    id: d.id.trim(),
    name: d.name.trim() || d.id.trim(),
    tier: d.tier,
    management_urls: lines(d.managementUrls),
    amqp_urls: lines(d.amqpUrls),
    username: d.username.trim(),
    vhost: optional(d.vhost),
    logs_url: optional(d.logsUrl),
    prometheus_url: optional(d.prometheusUrl),
    realm_exclude: lines(d.realmExclude).length ? lines(d.realmExclude) : undefined,
    read_only: d.readOnly,
    ssh: sshFromDraft(d),
    tls: {
      verify: d.tlsVerify,
      ca_bundle: optional(d.caBundle),
      client_cert: optional(d.clientCert),
      client_key: optional(d.clientKey),
    },
  };
}

/** The core names fields as `management_urls[1]` or `tls.client_key`; the form shows each
 * message under its input, so map every core field to the draft key it came from. */
export function fieldErrorsByInput(errors: FieldError[]): Partial<Record<keyof EnvironmentDraft, string>> {
  const map: Record<string, keyof EnvironmentDraft> = {
    id: "id",
    name: "name",
    username: "username",
    management_urls: "managementUrls",
    amqp_urls: "amqpUrls",
    vhost: "vhost",
    logs_url: "logsUrl",
    prometheus_url: "prometheusUrl",
    realm_exclude: "realmExclude",
    "tls.ca_bundle": "caBundle",
    "tls.client_cert": "clientCert",
    "tls.client_key": "clientKey",
    "ssh.host": "sshHost",
    "ssh.port": "sshPort",
    "ssh.key_file": "sshKey",
  };
  const out: Partial<Record<keyof EnvironmentDraft, string>> = {};
  for (const e of errors) {
    const key = map[e.field.replace(/\[\d+\]$/, "")];
    if (!key) continue;
    out[key] = out[key] ? `${out[key]}; ${e.message}` : e.message;
  }
  return out;
}

/** The Prometheus endpoint Warren uses when the field is empty (as the core computes it): the
 * first management URL's scheme and host on port 15692; "" when there is no valid URL yet. */
export function defaultPrometheusUrl(managementUrls: string): string {
  const first = lines(managementUrls)[0];
  if (!first) return "";
  try {
    const u = new URL(first);
    if (u.protocol !== "http:" && u.protocol !== "https:") return "";
    return `${u.protocol}//${u.hostname}:15692`; // an IPv6 hostname keeps its brackets
  } catch {
    return "";
  }
}

/** Suggest an id from the name while the user has not typed one. */
export function idFromName(name: string): string {
  return name
    .toLowerCase()
    .replace(/[^a-z0-9_.-]+/g, "-")
    .replace(/^[^a-z0-9]+|[^a-z0-9]+$/g, "")
    .slice(0, 64);
}

/** What the environment form was opened for. */
export type FormMode =
  | { kind: "create" }
  | { kind: "edit"; environment: EnvironmentView }
  | { kind: "duplicate"; environment: EnvironmentView };

/** The form's first state: empty, the environment, or a copy of it with a new id and name. */
export function initialDraft(mode: FormMode): EnvironmentDraft {
  if (mode.kind === "create") return { ...emptyDraft };
  const d = draftFromEnvironment(mode.environment);
  return mode.kind === "duplicate" ? { ...d, id: `${d.id}-copy`, name: `${d.name} (copy)` } : d;
}

export const formTitle = (mode: FormMode) => ({ create: "Add environment", edit: "Edit environment", duplicate: "Duplicate environment" })[mode.kind];
