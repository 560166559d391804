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
  await response.body?.cancel();
  if (!response.ok) {
    const message = `webhook answered HTTP ${response.status}`;
    // A 4xx other than 408/429 says the request itself is wrong: retrying cannot help.
    if (response.status >= 400 && response.status < 500 && ![408, 429].includes(response.status)) throw new UnrecoverableError(message);
    throw new Error(message);
  }
  return {
    fields: { target: request.target, httpStatus: response.status },
    event: (at) => timeline.mobiliseSent(at, request.target, response.status),
  };
}
