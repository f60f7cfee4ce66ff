import type { Tier } from "../../ipc/bindings/Tier";

export const TIERS: Tier[] = ["dev", "staging", "prod"];

export const tierLabel: Record<Tier, string> = { dev: "dev", staging: "staging", prod: "PROD" };
