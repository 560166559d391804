import type { Config } from "../config.ts";
import type { FollowupState } from "../store/followup-state.ts";
import type { IncidentView } from "./incident-view.ts";
import { mobiliseRequest } from "./mobilise-request.ts";

export type PagingState = "ok" | "off" | "failing";

export interface PagingStatus {
  state: PagingState;
  /** Real incidents of the last day nobody could be paged for. */
  failed: string[];
}

/**
 * Whether a real incident would page anyone now: "off" without MOBILISE_WEBHOOK_URL, "failing" while a real
 * incident of the last day could not be paged (until its page goes out after all), else "ok". The failures
 * are in Redis, since the workers may run in another process; unreadable, they count as none.
 */
export async function pagingStatus(config: Pick<Config, "MOBILISE_WEBHOOK_URL">, followup: FollowupState, now: Date): Promise<PagingStatus> {
  const failed = await followup.pagingFailures(now).catch(() => []);
  return { state: !config.MOBILISE_WEBHOOK_URL ? "off" : failed.length ? "failing" : "ok", failed };
}

/**
 * What the partner's email may say about paging. It is sent independently of the page, so it claims only
 * what the configuration and the page's state so far allow: a page configured for the incident and not
 * (yet) failing.
 */
export function mayClaimAlerted(incident: IncidentView, config: Parameters<typeof mobiliseRequest>[1]): boolean {
  const page = incident.followup.mobilise;
  if (!mobiliseRequest(incident, config).send) return false;
  return page.state === "sent" || (page.state === "queued" && !page.error);
}
