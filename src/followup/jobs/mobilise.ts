import { UnrecoverableError, type Processor } from "bullmq";
import type { Config } from "../../config.ts";
import { timeline } from "../../call/timeline-events.ts";
import { deliver, type DeliverDeps, type Sent, type Skipped } from "../deliver.ts";
import type { IncidentView } from "../incident-view.ts";
import { mobiliseRequest } from "../mobilise-request.ts";

/** Posts the incident to the on-call webhook (or the drill one): responders are mobilised. */
export const MOBILISE_QUEUE = "mobilise";
export { incidentJobSchema as mobiliseJobSchema } from "./incident-job.ts";

const MOBILISE_TIMEOUT_MS = 10_000;
const REFUSED_EVENT = [400, 422];

export function mobiliseProcessor(deps: DeliverDeps & { config: Config }): Processor {
  return (job) => deliver(deps, job, "mobilise", (incident) => mobilise(deps.config, incident));
}

async function mobilise(config: Config, incident: IncidentView): Promise<Sent | Skipped> {
  const request = mobiliseRequest(incident, config);
  if (!request.send) return { skipped: request.reason };
  const response = await fetch(request.url, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(request.body),
    signal: AbortSignal.timeout(MOBILISE_TIMEOUT_MS),
  });
  if (!response.ok) {
    const said = (await response.text().catch(() => "")).replace(/\s+/g, " ").trim().slice(0, 200);
    const message = `webhook answered HTTP ${response.status}${said ? `: ${said}` : ""}`;
    // Only a refused event is final (PagerDuty answers 400 to an invalid event): a 401, 403 or 404 is as
    // likely a receiver being deployed or reconfigured, so the page is tried again like any other failure.
    if (REFUSED_EVENT.includes(response.status)) throw new UnrecoverableError(message);
    throw new Error(message);
  }
  await response.body?.cancel();
  return {
    fields: { target: request.target, httpStatus: response.status },
    event: (at) => timeline.mobiliseSent(at, request.target, response.status),
  };
}
