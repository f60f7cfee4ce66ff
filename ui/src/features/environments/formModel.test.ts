import { describe, expect, it } from "vitest";
import type { Environment } from "../../ipc/bindings/Environment";
import { defaultPrometheusUrl, draftFromEnvironment, emptyDraft, environmentFromDraft, fieldErrorsByInput, formTitle, idFromName, initialDraft } from "./formModel";
import { environmentView } from "../../test/fixtures";

const env: Environment = {
  id: "staging-eu",
  name: "Staging EU",
  tier: "staging",
  management_urls: ["https://a:15671", "https://b:15671"],
  amqp_urls: ["amqps://a:5671"],
  username: "ops",
  vhost: "billing",
  tls: { verify: true, ca_bundle: "/etc/ca.pem" },
  read_only: true,
  realm_template: "{worker}.{realm}",
};

describe("environment form model", () => {
  it("round-trips an environment through the draft, keeping fields the form does not edit", () => {
    const back = environmentFromDraft(draftFromEnvironment(env), env);
    expect(back).toEqual({ ...env, tls: { ...env.tls, client_cert: undefined, client_key: undefined } });
    expect(back.realm_template).toBe("{worker}.{realm}");
  });

  it("maps the jump host fields: none without a host, a port that is no number as 0 for the core to refuse", () => {
    const d = draftFromEnvironment(env);
    expect(environmentFromDraft({ ...d, sshUser: "ops" }, env).ssh).toBeUndefined();
    const withJump = environmentFromDraft({ ...d, sshHost: " bastion-eu ", sshPort: "2200", sshKey: "~/.ssh/eu", sshAgent: false }, env);
    expect(withJump.ssh).toEqual({ host: "bastion-eu", port: 2200, key_file: "~/.ssh/eu", use_agent: false });
    expect(environmentFromDraft({ ...d, sshHost: "b", sshPort: "twenty-two" }, env).ssh?.port).toBe(0);
    expect(fieldErrorsByInput([{ field: "ssh.port", message: "a port between 1 and 65535" }])).toEqual({ sshPort: "a port between 1 and 65535" });
  });

  it("keeps the alert rules and the jump host, which other views edit, through a form edit", () => {
    const withMore: Environment = {
      ...env,
      alerts: [{ kind: "dlq_growth", id: "dlq_growth", by: 100, within_s: 600 }],
      ssh: { host: "bastion-eu", user: "ops" },
    };
    const back = environmentFromDraft({ ...draftFromEnvironment(withMore), name: "Renamed" }, withMore);
    expect(back.alerts).toEqual(withMore.alerts);
    expect(back.ssh).toEqual({ host: "bastion-eu", user: "ops" });
  });

  it("splits URL lists on lines and commas and drops blanks", () => {
    const e = environmentFromDraft({ ...emptyDraft, id: "x", managementUrls: " http://a:1 \n\nhttp://b:2, http://c:3 " });
    expect(e.management_urls).toEqual(["http://a:1", "http://b:2", "http://c:3"]);
  });

  it("turns empty optional fields into absent ones and uses the id as the default name", () => {
    const e = environmentFromDraft({ ...emptyDraft, id: "dev1", vhost: "  ", caBundle: "" });
    expect(e.vhost).toBeUndefined();
    expect(e.tls.ca_bundle).toBeUndefined();
    expect(e.name).toBe("dev1");
  });

  it("takes realm exclusions one per line or comma separated, and an empty field clears them", () => {
    const e = environmentFromDraft({ ...emptyDraft, id: "x", realmExclude: "events.*\n *.stream , scheduler\n" }, { ...env, realm_exclude: ["old"] });
    expect(e.realm_exclude).toEqual(["events.*", "*.stream", "scheduler"]);
    expect(draftFromEnvironment(e).realmExclude).toBe("events.*\n*.stream\nscheduler");
    expect(environmentFromDraft({ ...emptyDraft, id: "x" }, { ...env, realm_exclude: ["old"] }).realm_exclude).toBeUndefined();
    expect(fieldErrorsByInput([{ field: "realm_exclude[1]", message: "not a valid glob" }])).toEqual({ realmExclude: "not a valid glob" });
  });

  it("maps the core's field names onto the inputs, joining several messages", () => {
    const errors = fieldErrorsByInput([
      { field: "management_urls[0]", message: "missing host" },
      { field: "management_urls[2]", message: "port out of range" },
      { field: "tls.client_key", message: "needs a key" },
      { field: "unknown", message: "ignored" },
    ]);
    expect(errors).toEqual({ managementUrls: "missing host; port out of range", clientKey: "needs a key" });
  });

  it("suggests a plain id from a name", () => {
    expect(idFromName("  Prod EU (Frankfurt) ")).toBe("prod-eu-frankfurt");
    expect(idFromName("ÄÖ")).toBe("");
  });

  it("opens a duplicate as a copy with its own id and name, an edit as the environment itself", () => {
    const view = environmentView({ id: "staging-eu", name: "Staging EU" });
    expect(initialDraft({ kind: "duplicate", environment: view })).toMatchObject({ id: "staging-eu-copy", name: "Staging EU (copy)" });
    expect(initialDraft({ kind: "edit", environment: view })).toMatchObject({ id: "staging-eu", name: "Staging EU" });
    expect(initialDraft({ kind: "create" })).toEqual(emptyDraft);
    expect(formTitle({ kind: "duplicate", environment: view })).toBe("Duplicate environment");
  });

  it("starts a new environment empty, not as a copy of local; a duplicate still copies", () => {
    const d = initialDraft({ kind: "create" });
    expect([d.id, d.name, d.managementUrls, d.amqpUrls, d.username, d.vhost]).toEqual(["", "", "", "", "", ""]);
    const local = environmentView({ id: "local", management_urls: ["http://127.0.0.1:15672"], amqp_urls: ["amqp://127.0.0.1:5672"] });
    expect(initialDraft({ kind: "duplicate", environment: local })).toMatchObject({ managementUrls: "http://127.0.0.1:15672", amqpUrls: "amqp://127.0.0.1:5672" });
  });
});

describe("the Prometheus endpoint", () => {
  it("defaults to the first management host on port 15692, same scheme", () => {
    expect(defaultPrometheusUrl("https://rabbit-1.internal:15671/mgmt\nhttps://rabbit-2.internal:15671")).toBe(
      "https://rabbit-1.internal:15692",
    );
    expect(defaultPrometheusUrl("http://[::1]:15672")).toBe("http://[::1]:15692");
    expect(defaultPrometheusUrl("not a url")).toBe("");
  });

  it("round-trips through the environment and maps its field error", () => {
    const d = { ...emptyDraft, id: "x", prometheusUrl: " http://prom:9419 " };
    expect(environmentFromDraft(d).prometheus_url).toBe("http://prom:9419");
    expect(environmentFromDraft({ ...d, prometheusUrl: "" }).prometheus_url).toBeUndefined();
    expect(fieldErrorsByInput([{ field: "prometheus_url", message: "bad" }]).prometheusUrl).toBe("bad");
  });
});
