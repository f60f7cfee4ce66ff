// The two guards a dialog that changes a broker shows (see writeGuards.ts): the read-only
// warning, and on prod the field where the environment's name is typed.
import type { EnvironmentView } from "../../ipc/commands";
import { needsTypedName, refusesWrites } from "./writeGuards";

/** `action`: what Warren will refuse, in words ("this purge", "to apply it"). */
export function ReadOnlyWarning({ env, action }: { env: EnvironmentView; action: string }) {
  if (!refusesWrites(env)) return null;
  return (
    <div className="warning-box inline">
      “{env.name}” is read-only: Warren will refuse {action}.
    </div>
  );
}

export function TypedNameField({ env, value, onChange, testId }: { env: EnvironmentView; value: string; onChange: (typed: string) => void; testId?: string }) {
  if (!needsTypedName(env)) return null;
  return (
    <label className="field">
      <span className="label">Type the environment's name, “{env.name}”, to confirm</span>
      <input data-testid={testId} value={value} onChange={(ev) => onChange(ev.target.value)} />
    </label>
  );
}

/** What every dialog that changes a broker takes: where, how to close it, and what to do once
 * the change ran (reload what it touched). */
export interface ChangeDialogProps {
  env: EnvironmentView;
  onClose: () => void;
  onDone: () => void;
}
