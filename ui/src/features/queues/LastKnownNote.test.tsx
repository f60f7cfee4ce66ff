// The age of the dated rows keeps counting while they stay on screen.
import { afterEach, describe, expect, it, vi } from "vitest";
import { act, render, screen } from "@testing-library/react";
import { LastKnownNote } from "./LastKnownNote";

afterEach(() => vi.useRealTimers());

describe("LastKnownNote", () => {
  it("ages on screen without another render from its parent", () => {
    vi.useFakeTimers();
    vi.setSystemTime(new Date("2026-12-07T10:02:00Z"));
    render(<LastKnownNote takenAt="2026-12-07T10:00:00Z" reading={false} />);
    const note = screen.getByTestId("queue-last-known");
    expect(note.textContent).toContain("last loaded 2 min ago, not current");
    act(() => {
      vi.advanceTimersByTime(60 * 60_000);
    });
    expect(note.textContent).toContain("last loaded 1 h ago");
  });

  it("says when the broker is being read", () => {
    render(<LastKnownNote takenAt={new Date(Date.now() - 30_000).toISOString()} reading />);
    expect(screen.getByTestId("queue-last-known").textContent).toMatch(/last loaded 3\d s ago, reading the broker…/);
  });
});
