import type { Engineer } from "../call/engineers.ts";
import type { RosterSource } from "../store/roster.ts";
import { html, type Html } from "./html.ts";
import { can, signedIn } from "./staff/context.ts";
import { SEGMENT_CSS } from "./timeline-bar.ts";

/**
 * The console's pages: plain server-rendered HTML, one stylesheet, and one small script of our own origin
 * (refresh.js: live parts, local times on hover) that the pages work without.
 */

/** The page frame; the links and buttons shown depend on the reader's role (staff/context.ts). */
export function layout(title: string, body: Html, { nav = true, csrf = "", refresh = 0 } = {}): string {
  const reader = signedIn();
  return html`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${title} — emergency line</title><link rel="stylesheet" href="/console/static/console.css"><script src="/console/static/refresh.js" defer></script></head>
<body${refresh > 0 ? html` data-refresh="${refresh}"` : ""}>${nav
    ? html`<header><strong>Emergency line</strong><nav><a href="/console">Incidents</a><a href="/console/oncall">On call</a><a href="/console/roster">Roster</a><a href="/console/drills">Drills</a><a href="/console/partners">Partners</a>${can("admin") ? html`<a href="/console/queues">Queues</a><a href="/console/staff">Staff</a><a href="/console/audit">Audit</a>` : ""}</nav>${reader ? html`<a class="who" href="/console/account" title="${reader.email}">${reader.name} (${reader.role})</a>` : ""}${csrf ? html`<form method="post" action="/console/logout" class="inline"><input type="hidden" name="_csrf" value="${csrf}"><button>Sign out</button></form>` : ""}</header>`
    : ""}
<main>${body}</main></body></html>`.value;
}

export function rosterPage(roster: Engineer[], csrf: string, error?: string, source?: RosterSource): string {
  const rows = [0, 1, 2].map((i) => {
    const engineer = roster[i];
    return html`<tr><td>${i + 1}</td>
<td><input name="name${i + 1}" value="${engineer?.name ?? ""}" aria-label="name of engineer ${i + 1}"></td>
<td><input name="number${i + 1}" value="${engineer?.number ?? ""}" placeholder="+15550001001" aria-label="number of engineer ${i + 1}"></td>
<td>${engineer && i > 0 && can("admin") ? html`<button type="submit" formaction="/console/roster/move-up/${i + 1}" aria-label="move engineer ${i + 1} up">Move up</button>` : ""}</td></tr>`;
  });
  return layout(
    "Roster",
    html`<h1>On-call roster</h1>
<p>The next call dials these engineers in this order; changes take effect at once.</p>
${source ? html`<p class="roster-source">Roster from ${source.source}: ${source.reason}.</p>` : ""}
${error ? html`<p class="error">${error}</p>` : ""}
<form method="post" action="/console/roster"><input type="hidden" name="_csrf" value="${csrf}">
<table><thead><tr><th>Level</th><th>Name</th><th>Number (E.164)</th><th></th></tr></thead><tbody>${rows}</tbody></table>
${can("admin") ? html`<button type="submit">Save roster</button>` : html`<p>Only an admin changes the roster.</p>`}</form>`,
    { csrf },
  );
}

export const CONSOLE_CSS = `body{font:14px system-ui,sans-serif;margin:0;color:#222}
header{display:flex;gap:2em;align-items:center;padding:.6em 1.5em;background:#1f2d3d;color:#fff}
header a{color:#cfe0ff;margin-right:1.2em}header form{margin-left:auto}main{padding:1em 1.5em;max-width:1200px}
table{border-collapse:collapse;width:100%}td,th{text-align:left;padding:4px 8px;border-bottom:1px solid #ddd}
.badge{display:inline-block;padding:1px 6px;border-radius:8px;background:#e4e8ee;font-size:12px;margin-right:4px}
.badge.drill{background:#ffe9a8}.badge.misuse{background:#f7c6c0}.badge.grouped{background:#d6e4ff}.badge.reconstructed{background:#eadcf5}
.banner{background:#b0302a;color:#fff;padding:.4em 1em;margin-bottom:1em}.banner a{color:#fff;font-weight:bold}.filter{margin:.2em 0 .8em}.error{color:#b0302a;font-weight:bold}.warning{color:#8a5a00;background:#fff4d6;padding:.3em .6em}.notice{color:#2d7a46}
.timeline-bar text{font-size:12px;fill:#fff}.events{font-size:13px;color:#444}.events time{color:#888;margin-right:.5em}
.transcript{background:#f4f6f9;padding:.6em 1em;border-left:3px solid #5a7fd0}.email pre{white-space:pre-wrap;background:#fafafa;padding:.6em;border:1px solid #eee}
form.inline{display:inline}header .who{color:#fff;margin-left:auto}header .who+form{margin-left:1em}.filters{display:flex;gap:1em;flex-wrap:wrap;align-items:end;margin-bottom:1em}.audit code{font-size:12px;word-break:break-all}.token{background:#fff4d6;padding:.3em}.login{max-width:22em;display:flex;flex-direction:column;gap:.6em;margin-top:2em}
.drill.failed h2,.failed{color:#b0302a}.drill.passed h2{color:#2d7a46}
.mails{list-style:none;padding:0}.mail{border-left:3px solid #5a7fd0;padding:.2em .8em;margin:.6em 0}.mail.out{border-color:#2d7a46}
.mail pre{white-space:pre-wrap;margin:.3em 0}
.timeline-bar text.marker{font-weight:bold}.timeline-legend{list-style:none;padding:0;display:flex;flex-wrap:wrap;gap:.4em 1.2em;font-size:13px}
.swatch{display:inline-block;width:.9em;height:.9em;margin-right:.3em;vertical-align:middle;border-radius:2px}
.live li{margin:.3em 0}.call-live{background:#fff4d6;padding:.3em 1em;border-left:4px solid #e0a030}.now strong.engineer{font-size:1.15em}
.paged.not-paged{color:#b0302a}.muted,.note{color:#777}.case-actions{display:flex;gap:1em;flex-wrap:wrap;align-items:center;margin:.5em 0}.case-notes pre{white-space:pre-wrap;margin:.2em 0}
.pages{margin:.8em 0}.pages a{margin-right:1em}table.incidents td{vertical-align:top}time[title]{text-decoration:underline dotted}
.report-bar{margin:.2em 0 .8em}.report-bar text{font-size:12px}.contacts dt{font-weight:bold}` + SEGMENT_CSS;
