import { randomBytes } from "node:crypto";
import type { IncidentView } from "../followup/incident-view.ts";
import { when } from "./format.ts";
import { html, type Html } from "./html.ts";
import { can } from "./staff/context.ts";

/**
 * The mail side of an incident in the console: its thread (text only: HTML mail is never rendered, every
 * value is escaped), the trace ids the partner sent, and the form staff reply with. A call's page shows it
 * under the follow-up; an email incident's page (mail-pages.ts) is built around it.
 */

export function threadSection(incident: IncidentView, csrf: string): Html {
  const c = incident.case;
  return html`<section class="thread"><h2>Mail thread</h2>
${incident.traceIds.length ? html`<p class="trace-ids">Trace ids: ${incident.traceIds.map((id) => html`<code>${id}</code> `)}</p>` : ""}
${incident.reported.endpoints.length || incident.reported.environments.length ? html`<p>Endpoints: ${incident.reported.endpoints.join(", ") || "—"}; environment: ${incident.reported.environments.join(", ") || "—"}</p>` : ""}
${incident.thread.length
    ? html`<ol class="mails">${incident.thread.map(
        (m) => html`<li class="mail ${m.direction}"><p><strong>${m.direction === "in" ? `From ${m.from}` : `To ${m.to}`}</strong> — ${m.subject} ${when(m.sentAt ?? m.at)}${m.direction === "out" && !m.sentAt ? " (sending)" : ""}</p>
<pre>${m.text}</pre>${m.attachments.length ? html`<p>Attachments: ${m.attachments.map((a) => `${a.name} (${a.type}, ${a.size} bytes)`).join("; ")}</p>` : ""}</li>`,
      )}</ol>`
    : html`<p>No mail yet.</p>`}
<p class="case-deadline">${c.state === "awaiting-reply" && c.closesAt ? html`Awaiting the partner's reply; closes at ${when(c.closesAt)}.` : `Case ${c.state}.`}</p>
${can("engineer")
    ? html`<form method="post" action="/console/incidents/${incident.id}/messages"><input type="hidden" name="_csrf" value="${csrf}"><input type="hidden" name="reply" value="${randomBytes(8).toString("hex")}">
<label>Reply to the partner (plain text, sent in the thread; starts the case hold)<br><textarea name="text" rows="5" cols="80" required></textarea></label><br>
<button type="submit">Send reply</button></form>`
    : ""}</section>`;
}
