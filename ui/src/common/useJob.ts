// A long operation run from a dialog (a replay, a move of several queues): each step is one
// command under a fresh id that reports Progress on a channel; Cancel asks the core to stop the
// running step by that id, and no further step starts. `running` spans the whole job.
import { useCallback, useRef, useState } from "react";
import type { Progress } from "../ipc/commands";

/** What a job's body gets: run one step, and whether the user cancelled. */
export interface JobSteps {
  step<R>(call: (id: string, onProgress: (p: Progress) => void) => Promise<R>): Promise<R>;
  cancelled(): boolean;
}

export interface Job {
  running: boolean;
  /** The running step's last report; null before its first. */
  progress: Progress | null;
  /** Runs `body` to its end (its errors are its own to catch). */
  start(body: (steps: JobSteps) => Promise<void>): Promise<void>;
  cancel(): void;
}

/** `cancel`: the command that stops a step by its id; `prefix` starts each id. */
export function useJob(cancel: (id: string) => Promise<unknown>, prefix = ""): Job {
  const [running, setRunning] = useState(false);
  const [progress, setProgress] = useState<Progress | null>(null);
  const current = useRef<string | null>(null);
  const cancelled = useRef(false);

  const start = useCallback(
    async (body: (steps: JobSteps) => Promise<void>) => {
      cancelled.current = false;
      setRunning(true);
      let n = 0;
      const steps: JobSteps = {
        step: async (call) => {
          current.current = `${prefix}${Date.now()}-${n++}`;
          setProgress(null);
          try {
            return await call(current.current, setProgress);
          } finally {
            current.current = null;
          }
        },
        cancelled: () => cancelled.current,
      };
      try {
        await body(steps);
      } finally {
        setRunning(false);
      }
    },
    [prefix],
  );

  const stop = useCallback(() => {
    cancelled.current = true;
    if (current.current) void cancel(current.current);
  }, [cancel]);

  return { running, progress, start, cancel: stop };
}
