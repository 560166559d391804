import type { IncidentRecord } from "../incidents/incident-record.ts";

/** Whether an incident gets a drill report, and where it goes (docs/architecture.md, "The email door"). */
export type DrillReportTarget = { to: string } | { notApplicable: string };

/**
 * Who gets the report: only the partner's own address. A drill call's partner directory email (never an
 * address spoken in the voicemail, nor the support inbox), or the drill sender's own address. Real incidents
 * never get one.
 */
export function drillReportTarget(incident: Pick<IncidentRecord, "drill" | "channel" | "partner" | "mail">): DrillReportTarget {
  if (!incident.drill) return { notApplicable: "not a drill" };
  if (incident.channel === "email") return incident.mail ? { to: incident.mail.from } : { notApplicable: "no sender address" };
  if (!incident.partner) return { notApplicable: "the drill caller is not in the partner directory" };
  if (!incident.partner.email) return { notApplicable: `partner ${incident.partner.name} has no email in the directory` };
  return { to: incident.partner.email };
}
