// A side panel with one series' history chart: a realm's or a worker's (Realms tab), or a
// grower's (Growers view). Escape or ✕ closes it and the focus goes back to the row.
// It stays put while the page under it scrolls (the Realms page is taller than the window): fixed
// to the window's right edge, from where its page starts on screen down to the bottom.
import { useLayoutEffect, useState } from "react";
import type { HistoryMetric, SeriesSelector } from "../../ipc/commands";
import { useEscape, usePanelFocus } from "../../common/useEscape";
import { HistoryChart } from "./HistoryChart";

interface Props {
  envId: string;
  selector: SeriesSelector;
  /** "Realm acme", "Worker billing @ shop". */
  title: string;
  initialRange?: number;
  initialMetric?: HistoryMetric;
  onClose: () => void;
}

export function HistoryDrawer({ envId, selector, title, initialRange, initialMetric, onClose }: Props) {
  useEscape(onClose);
  const panel = usePanelFocus<HTMLElement>();
  const [top, setTop] = useState(0);
  useLayoutEffect(() => {
    const page = panel.current?.parentElement;
    if (page) setTop(Math.max(0, page.getBoundingClientRect().top));
  }, [panel]);
  return (
    <aside className="drawer" style={{ position: "fixed", top }} data-testid="history-drawer" ref={panel} tabIndex={-1} aria-label={`History of ${title}`}>
      <div className="drawer-head">
        <h2 title={title}>{title}</h2>
        <button className="ghost" onClick={onClose} aria-label="Close the history" title="Close (Esc)" data-testid="history-drawer-close">
          ✕
        </button>
      </div>
      <HistoryChart
        // Another series starts from its own choices.
        key={`${selector.kind}\u0000${selector.vhost ?? ""}\u0000${selector.key ?? ""}`}
        envId={envId}
        selector={selector}
        label={title}
        initialRange={initialRange}
        initialMetric={initialMetric}
      />
    </aside>
  );
}
