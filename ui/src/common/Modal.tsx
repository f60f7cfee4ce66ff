// The window's one modal: a native <dialog> opened with showModal(), so the browser keeps it on
// top and makes the rest of the window inert. The dialog fills the window and is the dimmed
// backdrop; `.modal` inside it is the box. Tab cycles inside the box, Escape or a press beside
// it closes it (unless a running job keeps it open), and focus goes back where it came from.
import { useId, useLayoutEffect, useRef, useState, type KeyboardEvent, type ReactNode } from "react";

interface Props {
  /** Escape and a press beside the box call it; absent while the dialog must stay open. */
  onClose?: () => void;
  /** The heading, which also names the dialog for assistive technology. */
  title?: ReactNode;
  /** The dialog's name when it shows no heading of its own. */
  label?: string;
  /** Classes of the box besides `modal` (`wide`, `switcher`). */
  className?: string;
  /** Near the top of the window rather than centred (the switcher). */
  top?: boolean;
  testId?: string;
  children: ReactNode;
}

const FOCUSABLE = "a[href], button:not([disabled]), input:not([disabled]), select:not([disabled]), textarea:not([disabled]), summary, [tabindex]:not([tabindex='-1'])";

/** The elements Tab stops at inside `root`, in order (hidden ones left out where layout is known). */
function tabStops(root: HTMLElement): HTMLElement[] {
  return [...root.querySelectorAll<HTMLElement>(FOCUSABLE)].filter((e) => !e.closest("[hidden], details:not([open]) > :not(summary)"));
}

export function Modal({ onClose, title, label, className = "", top = false, testId, children }: Props) {
  const dialog = useRef<HTMLDialogElement>(null);
  const titleId = useId();
  // Read while rendering, before anything inside the dialog takes the focus.
  const [opener] = useState(() => document.activeElement);

  useLayoutEffect(() => {
    const d = dialog.current!;
    if (!d.open) d.showModal();
    // An explicit first field wins over the browser's choice (React's autoFocus would run
    // before the dialog is shown, when nothing in it can take the focus).
    d.querySelector<HTMLElement>("[data-autofocus]")?.focus();
    return () => {
      if (d.open) d.close();
      if (opener instanceof HTMLElement && opener.isConnected) opener.focus();
    };
  }, [opener]);

  function onKeyDown(ev: KeyboardEvent<HTMLDialogElement>) {
    if (ev.defaultPrevented) return; // a field inside used the key
    if (ev.key === "Escape") {
      // Handled here rather than by the browser, which would close the element under React.
      ev.preventDefault();
      onClose?.();
    } else if (ev.key === "Tab") {
      const stops = tabStops(ev.currentTarget);
      const inside = ev.currentTarget.contains(document.activeElement);
      const [first, last] = [stops[0], stops[stops.length - 1]];
      if (!first) ev.preventDefault();
      else if (ev.shiftKey && (!inside || document.activeElement === first)) {
        ev.preventDefault();
        last.focus();
      } else if (!ev.shiftKey && (!inside || document.activeElement === last)) {
        ev.preventDefault();
        first.focus();
      }
    }
  }

  return (
    <dialog
      ref={dialog}
      className={`modal-backdrop${top ? " top" : ""}`}
      aria-labelledby={title ? titleId : undefined}
      aria-label={title ? undefined : label}
      onKeyDown={onKeyDown}
      onCancel={(ev) => {
        ev.preventDefault();
        onClose?.();
      }}
      onMouseDown={(ev) => ev.target === ev.currentTarget && onClose?.()}
    >
      <div className={`modal${className ? ` ${className}` : ""}`} data-testid={testId}>
        {title && <h2 id={titleId}>{title}</h2>}
        {children}
      </div>
    </dialog>
  );
}
