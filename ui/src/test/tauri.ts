// Stands in for `@tauri-apps/api/core` in UI tests (the e2e tests use the real bridge):
//   vi.mock("@tauri-apps/api/core", () => import("../../test/tauri"));
// then script `invoke` per test; a command's Channel is the `onEvent`/`onProgress` argument.
import { vi } from "vitest";

export const invoke = vi.fn();

export class Channel<T> {
  onmessage: (message: T) => void = () => {};
}
