// The modal every dialog uses: Escape and a press beside the box close it (not while a job keeps
// it open), Tab stays inside, and the focus returns to what opened it.
import { describe, expect, it, vi } from "vitest";
import { useState } from "react";
import { fireEvent, render, screen } from "@testing-library/react";
import { Modal } from "./Modal";

function Opener({ onClose }: { onClose?: () => void }) {
  const [open, setOpen] = useState(false);
  const close = () => {
    onClose?.();
    setOpen(false);
  };
  return (
    <>
      <button onClick={() => setOpen(true)}>open</button>
      {open && (
        <Modal title="Purge" testId="box" onClose={close}>
          <input data-testid="first" data-autofocus />
          <button data-testid="last">Purge</button>
        </Modal>
      )}
    </>
  );
}

function openIt() {
  const opener = screen.getByText("open");
  opener.focus();
  fireEvent.click(opener);
  return opener;
}

describe("Modal", () => {
  it("opens as a named modal dialog with the marked field focused", () => {
    render(<Opener />);
    openIt();
    const dialog = screen.getByRole("dialog", { name: "Purge" }) as HTMLDialogElement;
    expect(dialog.open).toBe(true);
    expect(screen.getByTestId("box").closest("dialog")).toBe(dialog);
    expect(document.activeElement).toBe(screen.getByTestId("first"));
  });

  it("closes on Escape and gives the focus back to its opener", () => {
    const onClose = vi.fn();
    render(<Opener onClose={onClose} />);
    const opener = openIt();
    fireEvent.keyDown(screen.getByTestId("first"), { key: "Escape" });
    expect(onClose).toHaveBeenCalledTimes(1);
    expect(screen.queryByRole("dialog")).toBeNull();
    expect(document.activeElement).toBe(opener);
  });

  it("keeps Tab inside: past the last stop to the first, and back", () => {
    render(<Opener />);
    openIt();
    const [first, last] = [screen.getByTestId("first"), screen.getByTestId("last")];
    last.focus();
    fireEvent.keyDown(last, { key: "Tab" });
    expect(document.activeElement).toBe(first);
    fireEvent.keyDown(first, { key: "Tab", shiftKey: true });
    expect(document.activeElement).toBe(last);
  });

  it("brings a focus that escaped the dialog back in on Tab", () => {
    render(<Opener />);
    const opener = openIt();
    opener.focus(); // jsdom has no inert: the focus can leave, the trap brings it back
    fireEvent.keyDown(screen.getByRole("dialog"), { key: "Tab" });
    expect(document.activeElement).toBe(screen.getByTestId("first"));
  });

  it("closes on a press beside the box, not inside it", () => {
    const onClose = vi.fn();
    render(<Opener onClose={onClose} />);
    openIt();
    fireEvent.mouseDown(screen.getByTestId("box"));
    expect(onClose).not.toHaveBeenCalled();
    fireEvent.mouseDown(screen.getByRole("dialog"));
    expect(onClose).toHaveBeenCalledTimes(1);
  });

  it("without onClose (a job running) stays open on Escape", () => {
    render(
      <Modal title="Moving">
        <button>Cancel move</button>
      </Modal>,
    );
    fireEvent.keyDown(screen.getByText("Cancel move"), { key: "Escape" });
    expect((screen.getByRole("dialog") as HTMLDialogElement).open).toBe(true);
  });
});
