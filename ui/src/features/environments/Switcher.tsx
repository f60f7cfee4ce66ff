// Ctrl/Cmd+K: type a few letters of an environment, Enter to switch.
import { useMemo, useState } from "react";
import type { EnvironmentView } from "../../ipc/commands";
import { filterEnvironments } from "./switcherFilter";
import { tierLabel } from "./tier";
import { Modal } from "../../common/Modal";

interface Props {
  environments: EnvironmentView[];
  /** The environment shown now: marked in the list (aria-current and a visible "current"). */
  currentId?: string;
  onPick: (id: string) => void;
  onClose: () => void;
}

export function Switcher({ environments, currentId, onPick, onClose }: Props) {
  const [query, setQuery] = useState("");
  const [cursor, setCursor] = useState(0);
  const matches = useMemo(() => filterEnvironments(environments, query), [environments, query]);
  const pick = (i: number) => matches[i] && onPick(matches[i].id);

  return (
    <Modal label="Switch environment" top className="switcher" testId="switcher" onClose={onClose}>
      <input
        data-autofocus
        data-testid="switcher-input"
        aria-label="Switch to environment"
        placeholder="Switch to environment…"
        value={query}
        onChange={(ev) => {
          setQuery(ev.target.value);
          setCursor(0);
        }}
        onKeyDown={(ev) => {
          if (ev.key === "ArrowDown") setCursor((c) => Math.min(c + 1, matches.length - 1));
          else if (ev.key === "ArrowUp") setCursor((c) => Math.max(c - 1, 0));
          else if (ev.key === "Enter") pick(cursor);
          else return;
          ev.preventDefault();
        }}
      />
      <ul>
        {matches.map((e, i) => (
          <li key={e.id}>
            <button
              className={i === cursor ? "active" : ""}
              aria-current={e.id === currentId ? "true" : undefined}
              data-testid={`switcher-item-${e.id}`}
              onMouseEnter={() => setCursor(i)}
              onClick={() => pick(i)}
            >
              <span className={`tier-dot tier-${e.tier}`} aria-hidden="true" /> {e.name} <span className="muted">{e.id}</span>
              {e.id === currentId && <span className="current-mark">✓ current</span>}
              <span className={`tier-tag tier-${e.tier}`}>{tierLabel[e.tier]}</span>
              {!e.tls.verify && <span className="flag danger">TLS verification off</span>}
            </button>
          </li>
        ))}
        {matches.length === 0 && <li className="muted pad">No environment matches “{query}”.</li>}
      </ul>
    </Modal>
  );
}
