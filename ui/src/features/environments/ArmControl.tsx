// "Arm writes" for a read-only environment: for a few minutes this app may change it, then it is
// read-only again by itself (the core enforces both, and audits the arming). On prod the
// environment's name must be typed first. Shows the time left while armed.
import { useEffect, useRef, useState } from "react";
import { asErrorReport, commands, type EnvironmentView } from "../../ipc/commands";
import { armedSecondsLeft, formatCountdown, needsTypedName } from "./writeGuards";

export function ArmControl({ env, onChanged }: { env: EnvironmentView; onChanged: () => void }) {
  const [minutes, setMinutes] = useState(15);
  const [typed, setTyped] = useState("");
  const [asking, setAsking] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [now, setNow] = useState(() => Date.now() / 1000);
  const left = armedSecondsLeft(env, now);
  useEffect(() => {
    if (!env.armed_until) return;
    const t = setInterval(() => setNow(Date.now() / 1000), 1000);
    return () => clearInterval(t);
  }, [env.armed_until]);
  // When the time is up the core has already fallen back to read-only: show it (once).
  const told = useRef<number | null>(null);
  useEffect(() => {
    if (env.armed_until && left === 0 && told.current !== env.armed_until) {
      told.current = env.armed_until;
      onChanged();
    }
  }, [env.armed_until, left, onChanged]);
  if (!env.read_only) return null;

  const run = (p: Promise<unknown>) =>
    p.then(
      () => {
        setAsking(false);
        setTyped("");
        setError(null);
        onChanged();
      },
      (e) => setError(asErrorReport(e).message),
    );

  if (left > 0) {
    return (
      <span className="arm" data-testid="arm-state">
        <span className="flag danger">
          writes armed · {formatCountdown(left)} left
        </span>
        <button className="ghost" data-testid="disarm" onClick={() => void run(commands.disarmEnvironment(env.id))}>
          Disarm
        </button>
      </span>
    );
  }
  const needsName = needsTypedName(env);
  return (
    <span className="arm">
      <span className="flag">read-only</span>
      {!asking ? (
        <button className="ghost" data-testid="arm" onClick={() => setAsking(true)} title="Let this app change the environment for a few minutes">
          Arm writes…
        </button>
      ) : (
        <>
          <select value={minutes} onChange={(ev) => setMinutes(Number(ev.target.value))} data-testid="arm-minutes" aria-label="Arm writes for">
            {[5, 15, 30, 60].map((m) => (
              <option key={m} value={m}>
                {m} min
              </option>
            ))}
          </select>
          {needsName && <input placeholder={`type “${env.name}”`} value={typed} onChange={(ev) => setTyped(ev.target.value)} data-testid="arm-confirm-name" />}
          <button className="danger" data-testid="arm-confirm" disabled={needsName && typed !== env.name} onClick={() => void run(commands.armEnvironment(env.id, minutes))}>
            Arm
          </button>
          <button className="ghost" onClick={() => setAsking(false)}>
            Cancel
          </button>
        </>
      )}
      {error && <span className="error-text">{error}</span>}
    </span>
  );
}
