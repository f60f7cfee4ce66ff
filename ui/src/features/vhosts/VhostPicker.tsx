// The header's vhost picker: the scope of Queues, Realms and Dead letters (all vhosts or one),
// its options the vhosts of the loaded queues. It reads the inventory the pages load; it never
// loads it itself.
import { useQuery } from "@tanstack/react-query";
import type { EnvironmentView, Inventory } from "../../ipc/commands";
import { queryKeys } from "../../ipc/queryKeys";
import { vhostsOf } from "./vhostScope";

interface Props {
  env: EnvironmentView;
  scope: string | null;
  onChange: (vhost: string | null) => void;
}

const ALL = "\u0000all";

export function VhostPicker({ env, scope, onChange }: Props) {
  const inventory = useQuery<Inventory>({ queryKey: queryKeys.inventory(env.id), enabled: false });
  const vhosts = vhostsOf(inventory.data?.rows ?? []);
  // The scope may name a vhost not (yet) loaded: keep it listed so the select shows the truth.
  const options = scope !== null && !vhosts.some((v) => v.vhost === scope) ? [...vhosts, { vhost: scope, queues: 0 }] : vhosts;
  const total = inventory.data?.rows.length;
  return (
    <label className="vhost-picker" title={env.vhost ? `The environment loads only its default vhost \`${env.vhost}\`` : "Which vhost Queues, Realms and Dead letters show"}>
      <span>vhost</span>
      <select
        data-testid="vhost-picker"
        value={scope ?? ALL}
        onChange={(ev) => onChange(ev.target.value === ALL ? null : ev.target.value)}
      >
        <option value={ALL}>
          all vhosts{total !== undefined ? ` (${vhosts.length} · ${total.toLocaleString("en-US")} queues)` : ""}
        </option>
        {options.map((v) => (
          <option key={v.vhost} value={v.vhost}>
            {v.vhost} ({v.queues.toLocaleString("en-US")} queues)
          </option>
        ))}
      </select>
    </label>
  );
}
