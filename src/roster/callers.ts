import type { Config } from "../config.ts";
import type { Partner } from "./partners.ts";

export interface CallerProfile {
  partner: Partner | null;
  drill: boolean;
}

/** Who is calling, as far as the line's configuration knows. */
export function identifyCaller(config: Pick<Config, "partners" | "DRILL_CALLERS">, from: string): CallerProfile {
  return {
    partner: config.partners[from] ?? null,
    drill: config.DRILL_CALLERS.includes(from),
  };
}
