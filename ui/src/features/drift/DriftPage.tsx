// Drift between two environments (or two vhosts): pick both sides, compare their topology
// (read-only), read it per realm → worker → kind, export it as JSON or CSV.
import { useState } from "react";
import { useMutation } from "@tanstack/react-query";
import { commands, type DriftReport, type EnvironmentView, type ErrorReport } from "../../ipc/commands";
import { tierLabel } from "../environments/tier";
import { group, show, summary } from "./driftModel";
import "./drift.css";

interface Props {
  environments: EnvironmentView[];
  /** Preselected side A (the environment shown last). */
  first?: string;
}

const WHAT = { "only-a": "only in A", "only-b": "only in B", changed: "differs" } as const;

export function DriftPage({ environments, first }: Props) {
  const [a, setA] = useState(first ?? environments[0]?.id ?? "");
  // Another environment; with only one, the same (then compare two of its vhosts).
  const [b, setB] = useState(environments.find((e) => e.id !== (first ?? environments[0]?.id))?.id ?? first ?? environments[0]?.id ?? "");
  const [vhostA, setVhostA] = useState("");
  const [vhostB, setVhostB] = useState("");
  const [exported, setExported] = useState<string | null>(null);
  const compare = useMutation<DriftReport, ErrorReport>({
    mutationFn: () => commands.driftCompare(a, vhostA.trim() || null, b, vhostB.trim() || null),
  });
  const label = (id: string, vhost: string) => `${environments.find((e) => e.id === id)?.name ?? id}${vhost.trim() ? `/${vhost.trim()}` : ""}`;
  const [nameA, nameB] = [label(a, vhostA), label(b, vhostB)];
  const report = compare.data;
  const exportAs = (csv: boolean) => {
    if (!report) return;
    setExported("Exporting…");
    commands
      .driftExport(report, csv)
      .then((path) => setExported(`Exported to ${path}`))
      .catch((e: ErrorReport) => setExported(`Export failed: ${e.message}`));
  };
  const picker = (value: string, set: (id: string) => void, testid: string) => (
    <select value={value} onChange={(e) => set(e.target.value)} data-testid={testid}>
      {environments.map((e) => (
        <option key={e.id} value={e.id}>
          {e.name} ({tierLabel[e.tier]})
        </option>
      ))}
    </select>
  );
  return (
    <section className="drift-page" data-testid="drift-page" aria-label="Drift">
      <form
        className="drift-form"
        onSubmit={(ev) => {
          ev.preventDefault();
          setExported(null);
          compare.mutate();
        }}
      >
        <label>
          A {picker(a, setA, "drift-a")}
        </label>
        <label>
          vhost <input value={vhostA} onChange={(e) => setVhostA(e.target.value)} placeholder="all vhosts" data-testid="drift-vhost-a" />
        </label>
        <label>
          B {picker(b, setB, "drift-b")}
        </label>
        <label>
          vhost <input value={vhostB} onChange={(e) => setVhostB(e.target.value)} placeholder="all vhosts" data-testid="drift-vhost-b" />
        </label>
        <button className="primary" type="submit" disabled={!a || !b || compare.isPending} data-testid="drift-compare">
          {compare.isPending ? "Comparing…" : "Compare"}
        </button>
      </form>
      <p className="muted drift-help">
        Queues (type, arguments, durability), exchanges, bindings, policies, operator policies and vhost limits, normalised: order and defaults do not count, nor do counts and rates. Nothing is changed.
      </p>
      {compare.error && <div className="error-box">Cannot compare: {compare.error.message}</div>}
      {report && (
        <>
          <div className="drift-bar">
            <strong data-testid="drift-summary">{summary(report, nameA, nameB)}</strong>
            <span className="muted">
              A = {nameA}, B = {nameB}
            </span>
            <button onClick={() => exportAs(false)} data-testid="drift-export-json">
              Export JSON
            </button>
            <button onClick={() => exportAs(true)}>Export CSV</button>
            {exported && <span className="muted" data-testid="drift-exported">{exported}</span>}
          </div>
          {report.warnings.map((w) => (
            <div key={w} className="warning-box">
              {w}
            </div>
          ))}
          {group(report).map((r) => (
            <article key={r.realm || "-"} className="drift-realm card" data-testid="drift-realm" data-realm={r.realm}>
              <h3>
                {r.realm ? (
                  <>
                    realm <code>{r.realm}</code>
                  </>
                ) : (
                  "not partitioned by realm"
                )}{" "}
                <span className="muted">({r.count})</span>
              </h3>
              {r.sentence && <p className="drift-sentence">{r.sentence}</p>}
              {r.workers.map((w) => (
                <div key={w.worker || "-"} className="drift-worker">
                  {w.worker && <h4>{w.worker}</h4>}
                  {w.byKind.map((k) => (
                    <table key={k.kind} className="drift-table">
                      <caption>{k.kind.replace("_", " ")}</caption>
                      <tbody>
                        {k.lines.map((l, i) => (
                          <tr key={i} className={`drift-${l.what}`} data-testid="drift-line">
                            <td className="drift-what">{WHAT[l.what]}</td>
                            <td className="drift-name">
                              {l.name}
                              {l.vhost !== "/" && <span className="muted"> in {l.vhost}</span>}
                            </td>
                            <td>
                              {l.what === "changed" && (
                                <>
                                  <code>{l.field}</code>: {show(l.a)} → {show(l.b)}
                                </>
                              )}
                            </td>
                          </tr>
                        ))}
                      </tbody>
                    </table>
                  ))}
                </div>
              ))}
            </article>
          ))}
        </>
      )}
    </section>
  );
}
