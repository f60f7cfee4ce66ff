// Pure helpers of the realm policy dialog: the settings the core takes from the form's fields.

/** The KEY=VALUE settings the core takes, from the form's fields (blank ones left out). */
export function policySettings(limits: Record<string, string>, overflow: string): string[] {
  const out = Object.entries(limits)
    .filter(([, v]) => v.trim() !== "")
    .map(([k, v]) => `${k}=${v.trim()}`);
  if (overflow) out.push(`overflow=${overflow}`);
  return out;
}
