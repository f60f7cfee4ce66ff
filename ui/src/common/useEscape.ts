// Escape closes a side panel (the queue drawer, a message's detail) wherever the focus is in the
// window, unless a modal dialog is open: that one takes Escape first.
import { useEffect, useRef } from "react";

export function useEscape(onClose: () => void) {
  const latest = useRef(onClose);
  latest.current = onClose;
  useEffect(() => {
    const onKey = (ev: KeyboardEvent) => {
      if (ev.key !== "Escape" || ev.defaultPrevented || document.querySelector("dialog[open]")) return;
      ev.preventDefault();
      latest.current();
    };
    window.addEventListener("keydown", onKey);
    return () => window.removeEventListener("keydown", onKey);
  }, []);
}

/** Focus moves into a panel when it opens and back to where it was (the row that opened it)
 * when it closes. */
export function usePanelFocus<E extends HTMLElement>() {
  const panel = useRef<E>(null);
  useEffect(() => {
    const opener = document.activeElement;
    panel.current?.focus();
    return () => {
      if (opener instanceof HTMLElement && opener.isConnected && opener !== document.body) opener.focus();
    };
  }, []);
  return panel;
}
