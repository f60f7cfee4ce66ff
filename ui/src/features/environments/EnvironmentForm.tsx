// Create, edit or duplicate an environment. The password is sent once on save (to the OS
// keyring) and then dropped from the form's state; it is never loaded back.
import { useEffect, useRef, useState } from "react";
import { useMutation } from "@tanstack/react-query";
import { commands, type Environment, type EnvironmentView, type ErrorReport } from "../../ipc/commands";
import { ConnectionResult } from "./ConnectionResult";
import { defaultPrometheusUrl, environmentFromDraft, fieldErrorsByInput, formTitle, idFromName, initialDraft, URL_EXAMPLES, type EnvironmentDraft, type FormMode } from "./formModel";
import { TIERS } from "./tier";
import { Modal } from "../../common/Modal";

interface Props {
  mode: FormMode;
  onClose: () => void;
  onSaved: (view: EnvironmentView) => void;
}

export function EnvironmentForm({ mode, onClose, onSaved }: Props) {
  const [draft, setDraft] = useState<EnvironmentDraft>(() => initialDraft(mode));
  const [idTouched, setIdTouched] = useState(mode.kind !== "create");
  const [password, setPassword] = useState("");
  const [passphrase, setPassphrase] = useState("");
  const base: Environment | undefined = mode.kind === "create" ? undefined : mode.environment;
  const hasStoredSecret = mode.kind === "edit" && mode.environment.has_secret;

  const save = useMutation({
    mutationFn: async () => {
      const view = await saveSettings();
      // The jump host key's passphrase goes to the keyring once the environment exists.
      if (passphrase !== "") await commands.setSshPassphrase(view.id, passphrase);
      return view;
    },
    onSuccess: (view) => {
      setPassword("");
      setPassphrase("");
      onSaved(view);
    },
  });
  const saveSettings = async () => {
      const env = environmentFromDraft(draft, base);
      const pw = password === "" ? null : password;
      if (mode.kind === "edit") return commands.updateEnvironment(mode.environment.id, env, pw);
      if (mode.kind === "duplicate" && pw === null) {
        // Copy the keyring password along with the settings, then apply the edits.
        await commands.duplicateEnvironment(mode.environment.id, env.id, env.name);
        return commands.updateEnvironment(env.id, env, null);
      }
      return commands.createEnvironment(env, pw);
  };
  const test = useMutation({
    mutationFn: () =>
      commands.testEnvironment(
        mode.kind === "edit" ? mode.environment.id : draft.id.trim(),
        environmentFromDraft(draft, base),
        password === "" ? null : password,
      ),
  });

  const testAnswer = useRef<HTMLDivElement>(null);
  useEffect(() => {
    if (test.data || test.error) testAnswer.current?.scrollIntoView?.({ block: "nearest" });
  }, [test.data, test.error]);

  const error = save.error as unknown as ErrorReport | null;
  const testError = test.error as unknown as ErrorReport | null;
  const fieldErrors = fieldErrorsByInput([...(error?.fields ?? []), ...(testError?.fields ?? [])]);
  const set = <K extends keyof EnvironmentDraft>(k: K, v: EnvironmentDraft[K]) => setDraft((d) => ({ ...d, [k]: v }));

  const field = (key: keyof EnvironmentDraft, label: string, input: React.ReactNode, hint?: string) => (
    <label className={`field ${fieldErrors[key] ? "invalid" : ""}`}>
      <span className="label">{label}</span>
      {input}
      {hint && !fieldErrors[key] && <span className="hint">{hint}</span>}
      {fieldErrors[key] && (
        <span className="field-error" data-testid={`error-${key}`}>
          {fieldErrors[key]}
        </span>
      )}
    </label>
  );
  const text = (key: keyof EnvironmentDraft, placeholder = "") => (
    <input
      name={key}
      data-testid={`input-${key}`}
      value={draft[key] as string}
      placeholder={placeholder}
      onChange={(ev) => set(key, ev.target.value as never)}
      autoComplete="off"
      spellCheck={false}
    />
  );

  const urls = (key: "managementUrls" | "amqpUrls") => (
    <textarea
      name={key}
      data-testid={`input-${key}`}
      rows={2}
      value={draft[key]}
      placeholder={URL_EXAMPLES[key]}
      onChange={(ev) => set(key, ev.target.value)}
      spellCheck={false}
    />
  );

  const title = formTitle(mode);

  return (
    <Modal label={title} onClose={onClose}>
      <form
        className="form"
        data-testid="environment-form"
        onSubmit={(ev) => {
          ev.preventDefault();
          save.mutate();
        }}
      >
        <h2>{title}</h2>
        <div className="grid2">
          {field(
            "name",
            "Name",
            <input
              name="name"
              data-testid="input-name"
              value={draft.name}
              data-autofocus
              onChange={(ev) => {
                const name = ev.target.value;
                setDraft((d) => ({ ...d, name, id: idTouched ? d.id : idFromName(name) }));
              }}
            />,
          )}
          {field(
            "id",
            "Id",
            <input
              name="id"
              data-testid="input-id"
              value={draft.id}
              disabled={mode.kind === "edit"}
              onChange={(ev) => {
                setIdTouched(true);
                set("id", ev.target.value);
              }}
            />,
            "used by the CLI (--env ID) and as the keyring account",
          )}
          {field(
            "tier",
            "Tier",
            <select name="tier" data-testid="input-tier" value={draft.tier} onChange={(ev) => set("tier", ev.target.value as never)}>
              {TIERS.map((t) => (
                <option key={t} value={t}>
                  {t}
                </option>
              ))}
            </select>,
          )}
          {field("vhost", "Default vhost", text("vhost", "all vhosts"))}
        </div>
        {field("managementUrls", "Management URLs", urls("managementUrls"), "one per line; several nodes of one cluster are tried in order")}
        {field("amqpUrls", "AMQP URLs", urls("amqpUrls"))}
        {field(
          "prometheusUrl",
          "Prometheus URL",
          text("prometheusUrl", defaultPrometheusUrl(draft.managementUrls) || "http://rabbit-1.internal:15692"),
          "optional; empty = the management host on port 15692. Warren reads queue metrics there when rabbitmq_prometheus answers (faster on big brokers), else the management API",
        )}
        {field(
          "logsUrl",
          "Logs link",
          text("logsUrl", "https://kibana.internal/app/discover#/?_a=(query:(query:'realm:{realm} AND worker:{worker}'))"),
          "optional; {worker}, {realm}, {queue} and {vhost} are filled in, and Logs ↗ opens it in your browser",
        )}
        {field(
          "realmExclude",
          "Exclude from realms",
          <textarea
            name="realmExclude"
            data-testid="input-realmExclude"
            rows={2}
            value={draft.realmExclude}
            placeholder={"events.*\nscheduler"}
            onChange={(ev) => set("realmExclude", ev.target.value)}
            spellCheck={false}
          />,
          "optional; queues that are not partitioned: names or globs (*.stream), one per line or comma separated",
        )}
        <div className="grid2">
          {field("username", "Username", text("username"))}
          <label className="field">
            <span className="label">Password</span>
            <input
              type="password"
              name="password"
              data-testid="input-password"
              value={password}
              placeholder={hasStoredSecret ? "stored in the OS keyring — type to replace" : ""}
              onChange={(ev) => setPassword(ev.target.value)}
              autoComplete="new-password"
            />
            <span className="hint">kept only in the OS keyring</span>
          </label>
        </div>
        <details className="tls" open={!draft.tlsVerify || !!draft.caBundle || !!draft.clientCert}>
          <summary>TLS</summary>
          <label className="check-field">
            <input
              type="checkbox"
              checked={draft.tlsVerify}
              onChange={(ev) => set("tlsVerify", ev.target.checked)}
            />
            Verify server certificates
            {!draft.tlsVerify && <span className="warn-text"> — anyone on the network path can impersonate this broker</span>}
          </label>
          {field("caBundle", "CA bundle (PEM)", text("caBundle", "/path/to/ca.pem"))}
          <div className="grid2">
            {field("clientCert", "Client certificate (PEM)", text("clientCert"))}
            {field("clientKey", "Client key (PEM)", text("clientKey"))}
          </div>
        </details>
        <details className="tls" open={draft.sshHost !== ""}>
          <summary>SSH jump host</summary>
          {field("sshHost", "Jump host", text("sshHost", "bastion.example.com or a ~/.ssh/config alias"), "optional; Warren tunnels the management, AMQP and Prometheus connections through it. Its key is checked against known_hosts")}
          <div className="grid2">
            {field("sshUser", "SSH user", text("sshUser", "~/.ssh/config's, else your login"))}
            {field("sshPort", "SSH port", text("sshPort", "22"))}
          </div>
          <div className="grid2">
            {field("sshKey", "Key file", text("sshKey", "~/.ssh/id_ed25519"))}
            <label className="field">
              <span className="label">Key passphrase</span>
              <input
                type="password"
                name="sshPassphrase"
                data-testid="input-sshPassphrase"
                value={passphrase}
                onChange={(ev) => setPassphrase(ev.target.value)}
                autoComplete="new-password"
              />
              <span className="hint">kept only in the OS keyring; type to replace</span>
            </label>
          </div>
          {field("sshKnownHosts", "known_hosts file", text("sshKnownHosts", "~/.ssh/known_hosts"))}
          <label className="check-field">
            <input type="checkbox" checked={draft.sshAgent} onChange={(ev) => set("sshAgent", ev.target.checked)} />
            Also offer the SSH agent's keys
          </label>
        </details>
        <label className="check-field">
          <input type="checkbox" data-testid="input-readOnly" checked={draft.readOnly} onChange={(ev) => set("readOnly", ev.target.checked)} />
          Read-only: Warren refuses every change to this broker
        </label>
        {error && !error.fields.length && (
          <div className="error-box" data-testid="form-error">
            {error.message}
          </div>
        )}
        {/* Where the answer of Test connection shows: scrolled into view above the pinned actions. */}
        <div ref={testAnswer} className="test-answer">
          {testError && !testError.fields.length && <div className="error-box">{testError.message}</div>}
          {test.data && <ConnectionResult report={test.data} />}
        </div>
        <div className="form-actions">
          <button type="button" data-testid="form-test" onClick={() => test.mutate()} disabled={test.isPending}>
            {test.isPending ? "Testing…" : "Test connection"}
          </button>
          <span className="spacer" />
          <button type="button" className="ghost" onClick={onClose}>
            Cancel
          </button>
          <button type="submit" className="primary" data-testid="form-save" disabled={save.isPending}>
            {save.isPending ? "Saving…" : "Save"}
          </button>
        </div>
      </form>
    </Modal>
  );
}
