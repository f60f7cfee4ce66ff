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
  readOnly: boolean;
  tlsVerify: boolean;
  caBundle: string;
  clientCert: string;
  clientKey: string;
}

export const emptyDraft: EnvironmentDraft = {
  id: "",
  name: "",
  tier: "dev",
  managementUrls: "http://127.0.0.1:15672",
  amqpUrls: "amqp://127.0.0.1:5672",
  username: "",
  vhost: "",
  logsUrl: "",
  readOnly: false,
  tlsVerify: true,
  caBundle: "",
  clientCert: "",
  clientKey: "",
};

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
    readOnly: e.read_only,
    tlsVerify: e.tls.verify,
    caBundle: e.tls.ca_bundle ?? "",
    clientCert: e.tls.client_cert ?? "",
    clientKey: e.tls.client_key ?? "",
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
    read_only: d.readOnly,
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
    "tls.ca_bundle": "caBundle",
    "tls.client_cert": "clientCert",
    "tls.client_key": "clientKey",
  };
  const out: Partial<Record<keyof EnvironmentDraft, string>> = {};
  for (const e of errors) {
    const key = map[e.field.replace(/\[\d+\]$/, "")];
    if (!key) continue;
    out[key] = out[key] ? `${out[key]}; ${e.message}` : e.message;
  }
  return out;
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
