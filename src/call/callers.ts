import type { Partner, PartnerDirectory } from "./partners.ts";

export interface CallerProfile {
  partner: Partner | null;
  drill: boolean;
}

/** Who is calling, as far as the line's configuration knows. */
export function identifyCaller(config: { partners: PartnerDirectory; DRILL_CALLERS: readonly string[] }, from: string): CallerProfile {
  return {
    partner: config.partners[from] ?? null,
    drill: config.DRILL_CALLERS.includes(from),
  };
}
