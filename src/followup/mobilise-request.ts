import type { Config } from "../config.ts";
import type { IncidentRecord as IncidentView } from "../incidents/incident-record.ts";

export type MobiliseRequest =
  | { send: true; url: string; target: "real" | "drill"; body: Record<string, unknown> }
  | { send: false; reason: string };

type MobiliseConfig = Pick<Config, "MOBILISE_WEBHOOK_URL" | "MOBILISE_DRILL_WEBHOOK_URL" | "MOBILISE_FORMAT" | "PAGERDUTY_ROUTING_KEY" | "PUBLIC_BASE_URL">;

/** Where an incident goes and what is posted. A drill never reaches the real webhook, whatever is configured. */
export function mobiliseRequest(incident: IncidentView, config: MobiliseConfig): MobiliseRequest {
  const url = incident.drill ? config.MOBILISE_DRILL_WEBHOOK_URL : config.MOBILISE_WEBHOOK_URL;
  if (!url) {
    return { send: false, reason: incident.drill ? "drill incident and no MOBILISE_DRILL_WEBHOOK_URL configured" : "no MOBILISE_WEBHOOK_URL configured" };
  }
  const body =
    config.MOBILISE_FORMAT === "pagerduty"
      ? pagerDutyTrigger(incident, config.PAGERDUTY_ROUTING_KEY ?? "", config.PUBLIC_BASE_URL)
      : { type: "incident", groupedWith: incident.groupedWith, incident: summary(incident) };
  return { send: true, url, target: incident.drill ? "drill" : "real", body };
}

function summary(incident: IncidentView) {
  return {
    id: incident.id,
    severity: incident.severity,
    drill: incident.drill,
    raisedAt: incident.raisedAt,
    outcome: incident.outcome,
    groupedWith: incident.groupedWith,
    misuse: incident.misuse,
    caller: incident.caller,
    partner: incident.partner?.name ?? null,
    engineer: incident.engineer ? { name: incident.engineer.name ?? null, number: incident.engineer.number, level: incident.engineer.level } : null,
    voicemailUrl: incident.voicemail?.recordingUrl ?? null,
    transcript: incident.voicemail?.transcript ?? null,
    followUpContact: incident.voicemail?.contact ?? null,
    timeline: incident.timeline.map((event) => `${event.at} ${event.text}`),
  };
}

/**
 * PagerDuty Events API v2 "trigger": dedup_key is the incident id, so a retried post never pages twice. A
 * repeated call from one number (`groupedWith`) triggers with its group's first incident id: while that
 * alert is open PagerDuty only appends the call to it (responders see every call, and are paged once); once
 * they have resolved it, the next call opens a new alert and pages again.
 */
function pagerDutyTrigger(incident: IncidentView, routingKey: string, publicBaseUrl: string) {
  const from = incident.partner?.name ?? incident.caller;
  const outcome = { connected: "connected to an engineer", voicemail: "left a voicemail", "status-page": "referred to the status page", abandoned: "hung up before reaching anyone" }[incident.outcome] ?? incident.outcome;
  const { timeline, ...details } = summary(incident);
  return {
    routing_key: routingKey,
    event_action: "trigger",
    dedup_key: incident.groupedWith ?? incident.id,
    payload: {
      summary: `${incident.drill ? "[DRILL] " : ""}Emergency line call from ${from}: ${outcome} (${incident.id})${notes(incident)}`,
      source: "emergency-line",
      severity: "critical",
      timestamp: incident.raisedAt,
      component: "partner-api",
      group: incident.partner?.name ?? "unknown-partner",
      class: "emergency-call",
      custom_details: { ...details, timeline },
    },
    client: "emergency-line",
    client_url: `${publicBaseUrl}/console/incidents/${incident.id}`,
  };
}

function notes(incident: IncidentView): string {
  const grouped = incident.groupedWith ? `; repeat call, grouped with ${incident.groupedWith}` : "";
  const misuse = incident.misuse ? `; misuse? ${incident.misuse.callsInLastDay} calls from this number in 24 h` : "";
  return grouped + misuse;
}
