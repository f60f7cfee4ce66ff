import { describe, expect, it } from "vitest";
import type { QueueRow } from "../../ipc/bindings/QueueRow";
import { queueRow } from "../../test/fixtures";
import { destinationSuggestions, moveProblem, purgedMessages, queueCount, totalMessages } from "./queueActionsModel";

describe("queue actions", () => {
  it("refuses an empty destination or one of the sources", () => {
    expect(moveProblem([queueRow("a", 1)], " ")).toMatch(/Name the destination/);
    expect(moveProblem([queueRow("a", 1)], "a")).toMatch(/one of the queues being moved/);
    expect(moveProblem([queueRow("a", 1)], " a ")).toMatch(/one of the queues being moved/);
    expect(moveProblem([queueRow("a", 1)], "b")).toBeNull();
  });

  it("suggests queues of the sources' vhosts other than the sources", () => {
    const other = { ...queueRow("x", 0), vhost: "other" } as QueueRow;
    const known = [queueRow("a", 1), queueRow("dest", 0), other];
    expect(destinationSuggestions(known, [queueRow("a", 1)]).map((q) => q.name)).toEqual(["dest"]);
  });

  it("counts queues and messages in words", () => {
    expect(queueCount(1)).toBe("1 queue");
    expect(queueCount(2)).toBe("2 queues");
    expect(totalMessages([queueRow("a", 5), queueRow("b", 7)])).toBe(12);
    expect(purgedMessages({ dry_run: false, purged: [{ vhost: "/", name: "a", messages: 5 }], failed: [] } as never)).toBe(5);
  });
});
