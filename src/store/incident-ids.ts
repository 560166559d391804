import { createHash } from "node:crypto";

/**
 * The incident id of a call: the day it was raised and a digest of the CallSid. It needs nothing read from
 * Redis, so an incident can be raised while Redis is out of reach; a replay that loses the raise-once race
 * takes the stored id instead.
 */
export function incidentIdFor(callSid: string, raisedAt: Date): string {
  const day = raisedAt.toISOString().slice(0, 10).replaceAll("-", "");
  const digest = createHash("sha256").update(callSid).digest("hex").slice(0, 8).toUpperCase();
  return `INC-${day}-${digest}`;
}
