// The job hook: progress of the running step, Cancel by that step's id (and no step after it),
// and the end of the job whether it finished, failed or was cancelled.
import { describe, expect, it, vi } from "vitest";
import { act, renderHook } from "@testing-library/react";
import type { Progress } from "../ipc/commands";
import { useJob } from "./useJob";

/** A step the test finishes by hand, with the id and progress callback it was given. */
function pendingStep() {
  const s = { id: "", report: (_: Progress) => {}, finish: (_: string) => {} };
  const call = (id: string, onProgress: (p: Progress) => void) =>
    new Promise<string>((resolve) => {
      s.id = id;
      s.report = onProgress;
      s.finish = resolve;
    });
  return { s, call };
}

describe("useJob", () => {
  it("shows the running step's progress and stops running at the end", async () => {
    const { result } = renderHook(() => useJob(vi.fn(), "dlq-"));
    const { s, call } = pendingStep();
    let got: string | undefined;
    let job!: Promise<void>;
    act(() => {
      job = result.current.start(async ({ step }) => {
        got = await step(call);
      });
    });
    expect(result.current.running).toBe(true);
    expect(s.id).toMatch(/^dlq-\d+-0$/);
    act(() => s.report({ done: 3, total: 10, rate: 5 }));
    expect(result.current.progress).toEqual({ done: 3, total: 10, rate: 5 });
    await act(async () => {
      s.finish("report");
      await job;
    });
    expect(got).toBe("report");
    expect(result.current.running).toBe(false);
    expect(result.current.progress).toEqual({ done: 3, total: 10, rate: 5 }); // the last report stays on screen
  });

  it("Cancel stops the running step by its id and starts no further step", async () => {
    const cancel = vi.fn(async () => true);
    const { result } = renderHook(() => useJob(cancel));
    const first = pendingStep();
    const started: string[] = [];
    let job!: Promise<void>;
    act(() => {
      job = result.current.start(async ({ step, cancelled }) => {
        for (const name of ["a", "b"]) {
          if (cancelled()) break;
          started.push(name);
          await step(first.call);
        }
      });
    });
    act(() => result.current.cancel());
    expect(cancel).toHaveBeenCalledWith(first.s.id);
    await act(async () => {
      first.s.finish("stopped");
      await job;
    });
    expect(started).toEqual(["a"]);
    expect(result.current.running).toBe(false);
  });

  it("gives each step a fresh id and progress, and ends even when a step fails", async () => {
    const { result } = renderHook(() => useJob(vi.fn()));
    const ids: string[] = [];
    const seen: (Progress | null)[] = [];
    await act(async () => {
      await result.current
        .start(async ({ step }) => {
          await step(async (id, onProgress) => {
            ids.push(id);
            onProgress({ done: 1, total: 1, rate: 0 });
          });
          await step(async (id) => {
            ids.push(id);
            throw new Error("refused");
          });
        })
        .catch((e: Error) => seen.push(e.message as never));
    });
    expect(new Set(ids).size).toBe(2);
    expect(seen).toEqual(["refused"]);
    expect(result.current.running).toBe(false);
    expect(result.current.progress).toBeNull(); // the failed step had reported nothing
  });

  it("Cancel when nothing runs asks the core nothing", () => {
    const cancel = vi.fn();
    const { result } = renderHook(() => useJob(cancel));
    act(() => result.current.cancel());
    expect(cancel).not.toHaveBeenCalled();
  });
});
