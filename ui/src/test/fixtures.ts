// Values the UI tests build their screens from.
import type { EnvironmentView } from "../ipc/bindings/EnvironmentView";
import type { QueueRow } from "../ipc/bindings/QueueRow";

export function environmentView(fields: Partial<EnvironmentView> = {}): EnvironmentView {
  return {
    id: "e",
    name: "Prod EU",
    tier: "dev",
    management_urls: [],
    amqp_urls: [],
    username: "u",
    tls: { verify: true },
    read_only: false,
    has_secret: true,
    ...fields,
  };
}

/** A queue row with only what the dialogs read. */
export const queueRow = (name: string, messages: number) => ({ vhost: "/", name, messages }) as unknown as QueueRow;
