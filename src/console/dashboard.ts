import type { CallRecord } from "../call/records.ts";
import type { IncidentView } from "../followup/incident-view.ts";
import type { PagingStatus } from "../followup/paging.ts";
import { cursorText, type IncidentFilter, type SearchPage } from "../incidents/incident-search.ts";
import type { SpoolStatus } from "../store/journal.ts";
import { duration, elapsed, when } from "./format.ts";
import { html, type Html } from "./html.ts";
import { NOW_WORDS, type NowOnCall } from "./live.ts";
import { layout } from "./pages.ts";

/** A call still on the line, and who it is ringing or talking to now. */
export interface LiveCall {
  call: CallRecord;
  now: NowOnCall | null;
}

export type DashboardStatus = SpoolStatus & { redis: boolean; paging: PagingStatus; pausedQueues: string[] };

/** Whether anyone was paged for an incident, and if not why not, in a few words. */
export function pagedSummary(i: IncidentView): { paged: boolean | null; text: string } {
  const page = i.followup.mobilise;
  if (page.state === "sent") return { paged: true, text: i.drill ? "yes, drill channel" : "yes" };
  if (page.state === "failed") return { paged: false, text: `no: failed${page.error ? ` (${page.error})` : ""}` };
  if (page.state === "skipped") {
    const reason = page.reason ?? "";
    if (i.drill) return { paged: false, text: "no: drill, no drill channel" };
    if (/MOBILISE_WEBHOOK_URL/.test(reason)) return { paged: false, text: "no: paging off" };
    return { paged: false, text: `no: ${reason || "skipped"}` };
  }
  if (i.severity === "SEV3") return { paged: false, text: "no: SEV3, no page" };
  return { paged: null, text: page.job === "not-queued" ? "not queued" : "pending" };
}

export function caseSummary(i: IncidentView): Html {
  const c = i.case;
  return html`${c.state}${c.state === "awaiting-reply" && c.closesAt ? html`, closes ${when(c.closesAt)}` : ""}${c.owner ? html`<br><span class="owner">owner: ${c.ownerName ?? c.owner}</span>` : ""}`;
}

/** Red, above everything: real incidents would page nobody, or a page could not be delivered. */
function pagingBanner(paging: PagingStatus): Html | "" {
  const off = paging.state === "off" ? html`<p>Paging is OFF: MOBILISE_WEBHOOK_URL is not set. Real incidents page nobody.</p>` : "";
  const failed = paging.failed.map(
    (id) => html`<p>Paging failed for <a href="/console/incidents/${id}">${id}</a>: nobody was paged. Retry its mobilise job under Queues once the webhook answers.</p>`,
  );
  return off || failed.length ? html`<div class="banner" role="alert">${off}${failed}</div>` : "";
}

/** Red too: a paused queue holds pages or partner emails back until someone resumes it. */
function pausedBanner(paused: string[]): Html | "" {
  if (!paused.length) return "";
  return html`<div class="banner" role="alert"><p>Paused: ${paused.join(", ")}. Its jobs wait until the queue is resumed under <a href="/console/queues">Queues</a>.</p></div>`;
}

const badges = (i: IncidentView) =>
  html`${i.drill ? html`<span class="badge drill">drill</span>` : ""}${i.misuse ? html`<span class="badge misuse" title="${i.misuse.callsInLastDay} calls in 24 h">misuse</span>` : ""}${i.groupedWith ? html`<a class="badge grouped" href="/console/incidents/${i.groupedWith}">grouped with ${i.groupedWith}</a>` : ""}${i.reconstructed ? html`<span class="badge reconstructed" title="the call's first webhook left no session">reconstructed</span>` : ""}`;

export const partnerLink = (name: string | null | undefined, fallback: string) =>
  name ? html`<a href="/console/partners/${encodeURIComponent(name)}">${name}</a>` : fallback;

export function incidentRows(incidents: IncidentView[]): Html[] {
  return incidents.map((i) => {
    const paged = pagedSummary(i);
    return html`<tr class="incident outcome-${i.outcome ?? "email"}" data-id="${i.id}">
<td>${when(i.raisedAt)}</td>
<td><a href="/console/incidents/${i.id}">${i.id}</a></td>
<td class="door">${i.channel}</td><td class="severity">${i.severity}</td>
<td class="outcome">${i.outcome ?? "—"}</td>
<td>${partnerLink(i.partner?.name, i.caller)}</td>
<td>${badges(i)}</td>
<td class="paged ${paged.paged === false ? "not-paged" : ""}">${paged.text}</td>
<td class="answered">${i.engineer ? (i.engineer.name ?? i.engineer.number) : "—"}${i.timeToHumanSeconds !== null ? html` <small>after ${duration(i.timeToHumanSeconds)}</small>` : ""}</td>
<td class="case">${caseSummary(i)}</td></tr>`;
  });
}

export const INCIDENT_HEAD = html`<thead><tr><th>Raised</th><th>Incident</th><th>Door</th><th>Severity</th><th>Outcome</th><th>Partner or caller</th><th></th><th>Paged</th><th>Answered by</th><th>Case</th></tr></thead>`;

function liveCalls(calls: LiveCall[], now: Date): Html {
  const items = calls.map(
    ({ call, now: on }) => html`<li class="live-call"><a href="/console/calls/${call.meta.callSid}">${call.meta.partner?.name ?? call.meta.from}</a>${call.meta.drill ? html` <span class="badge drill">drill</span>` : ""}
— on the line for ${elapsed(call.meta.startedAt, now)}, stage ${call.stage}${on ? html`: <strong class="now-${on.state}">${NOW_WORDS[on.state]} ${on.engineer}</strong> (engineer ${on.level})${on.since ? html` for ${elapsed(on.since, now)}` : ""}` : ""}</li>`,
  );
  return html`<section id="live-calls" data-live><h2>Calls in progress</h2>${items.length ? html`<ul class="live">${items}</ul>` : html`<p>No call on the line.</p>`}</section>`;
}

const OPTIONS = {
  drill: [["all", "real and drills"], ["exclude", "real only"], ["only", "drills only"]],
  door: [["", "any door"], ["phone", "phone"], ["email", "email"]],
  outcome: [["", "any outcome"], ["connected", "connected"], ["voicemail", "voicemail"], ["status-page", "status page"], ["abandoned", "abandoned"]],
  severity: [["", "any severity"], ["SEV1", "SEV1"], ["SEV3", "SEV3"]],
  case: [["", "any case state"], ["open", "open"], ["awaiting-reply", "awaiting reply"], ["partner-replied", "partner replied"], ["closed", "closed"]],
} as const;

const QUICK: [IncidentFilter["drill"], string][] = [["all", "All calls"], ["exclude", "Real calls only"], ["only", "Drills only"]];

/** One click between drills and real calls (the filter form below has the rest). */
function quickLinks(current: IncidentFilter["drill"]): Html {
  const links = QUICK.map(([value, text]) => (value === current ? html`<strong aria-current="page">${text}</strong>` : html`<a href="/console?drill=${value}">${text}</a>`));
  return html`<p class="filter">Show: ${links.map((link, i) => html`${i ? " · " : ""}${link}`)}</p>`;
}

function filterForm(f: IncidentFilter): Html {
  const select = (name: keyof typeof OPTIONS, label: string) =>
    html`<label>${label}<br><select name="${name}">${OPTIONS[name].map(([value, text]) => html`<option value="${value}"${(f[name] ?? "") === value ? html` selected` : ""}>${text}</option>`)}</select></label>`;
  return html`<form method="get" action="/console" class="filters" role="search">
${select("drill", "Calls")}${select("door", "Door")}${select("outcome", "Outcome")}${select("severity", "Severity")}${select("case", "Case")}
<label>From<br><input type="date" name="from" value="${f.from ?? ""}"></label><label>To<br><input type="date" name="to" value="${f.to ?? ""}"></label>
<label>Search<br><input type="search" name="q" value="${f.q ?? ""}" placeholder="incident id, partner or number"></label>
${f.partner ? html`<label>Partner<br><input name="partner" value="${f.partner}"></label>` : ""}
<button type="submit">Filter</button> <a href="/console">Clear</a></form>`;
}

/** The filter as query parameters (empty ones left out), for the paging and CSV links. */
export function filterQuery(f: IncidentFilter, extra: Record<string, string> = {}): string {
  const entries = Object.entries({ ...f, ...extra }).filter(([key, value]) => value !== undefined && value !== "" && !(key === "drill" && value === "all"));
  return new URLSearchParams(entries as [string, string][]).toString();
}

export function dashboardPage(view: { incidents: IncidentView[]; live: LiveCall[]; status: DashboardStatus; filter: IncidentFilter; page: SearchPage; paged: boolean; now: Date }, csrf: string): string {
  const { incidents, status, filter, page } = view;
  const query = filterQuery(filter);
  const more = page.next ? html`<a rel="next" href="/console?${filterQuery(filter, { after: cursorText(page.next) })}">Older incidents →</a>` : "";
  return layout(
    "Incidents",
    html`${pagingBanner(status.paging)}${pausedBanner(status.pausedQueues)}<h1>Calls and incidents</h1>
<p class="status ${status.redis ? "" : "error"}">Redis ${status.redis ? "up" : "DOWN"}; ${status.spooled} write(s) waiting in the spool.</p>
${status.spoolFile !== "ok" || status.unspooled > 0
    ? html`<p class="status error" role="alert">Spool file ${status.spoolFile}: ${status.unspooled} write(s) held in memory only, lost if this process stops. Free disk space or fix SPOOL_FILE.</p>`
    : ""}
${liveCalls(view.live, view.now)}
<h2>Incidents</h2>${quickLinks(filter.drill)}${filterForm(filter)}
<p class="export"><a href="/console/incidents.csv${query ? `?${query}` : ""}" download>Export these as CSV</a></p>
<section id="incidents" data-live><table class="incidents">${INCIDENT_HEAD}
<tbody>${incidents.length ? incidentRows(incidents) : html`<tr><td colspan="10">${view.paged ? "No more incidents." : "No incidents match."}</td></tr>`}</tbody></table>
<p class="pages">${view.paged ? html`<a href="/console${query ? `?${query}` : ""}">← Newest</a> ` : ""}${more}${page.capped ? html` <span class="note">(looked at ${page.scanned} incidents for this page; older ones may match too)</span>` : ""}</p></section>`,
    { csrf, refresh: 5 },
  );
}
