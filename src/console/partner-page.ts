import { Router, type Response } from "express";
import type { Partner, PartnerDirectory } from "../call/partners.ts";
import type { Config } from "../config.ts";
import type { IncidentView, IncidentViews } from "../followup/incident-view.ts";
import type { IncidentSearch } from "../incidents/incident-search.ts";
import type { CallerUsage } from "../store/caller-usage.ts";
import { INCIDENT_HEAD, incidentRows } from "./dashboard.ts";
import { telLink } from "./format.ts";
import { html, type Html } from "./html.ts";
import { layout } from "./pages.ts";

export interface PartnerPageDeps {
  config: Pick<Config, "partners" | "DRILL_CALLERS" | "MISUSE_CALLS_PER_DAY">;
  search: IncidentSearch;
  views: IncidentViews;
  usage: CallerUsage;
  now: () => Date;
}

interface PartnerView {
  name: string;
  partner: Partner;
  /** The directory's numbers for this partner (calls from them are theirs), with their calls in the last 24 h. */
  numbers: { number: string; callsInLastDay: number; drillCaller: boolean }[];
  real: IncidentView[];
  drills: IncidentView[];
  misuseLimit: number;
}

/** PARTNERS_FILE by name: one partner may be listed under several numbers. */
function byName(directory: PartnerDirectory): Map<string, { partner: Partner; numbers: string[] }> {
  const partners = new Map<string, { partner: Partner; numbers: string[] }>();
  for (const [number, partner] of Object.entries(directory)) {
    const key = partner.name.toLowerCase();
    const known = partners.get(key);
    if (known) known.numbers.push(number);
    else partners.set(key, { partner, numbers: [number] });
  }
  return partners;
}

const list = (items: string[] | undefined) => (items?.length ? items.join(", ") : "—");

function partnerPage(v: PartnerView, csrf: string): string {
  const table = (rows: IncidentView[], none: string): Html =>
    html`<table class="incidents">${INCIDENT_HEAD}<tbody>${rows.length ? incidentRows(rows) : html`<tr><td colspan="10">${none}</td></tr>`}</tbody></table>`;
  const calls = v.real.filter((i) => i.channel === "phone").length;
  const flagged = v.real.filter((i) => i.misuse).length;
  const over = v.numbers.filter((n) => n.callsInLastDay > v.misuseLimit);
  return layout(
    v.name,
    html`<h1>${v.name}</h1>
<section class="contacts"><h2>Contacts</h2><dl>
<dt>Follow-up email</dt><dd>${v.partner.email ? html`<a href="mailto:${v.partner.email}">${v.partner.email}</a>` : "— (follow-ups go to the support inbox)"}</dd>
<dt>Other addresses they write from</dt><dd>${list(v.partner.emails)}</dd><dt>Mail domains</dt><dd>${list(v.partner.domains)}</dd>
<dt>Phone numbers</dt><dd>${v.numbers.map((n, i) => html`${i ? ", " : ""}${telLink(n.number)}${n.drillCaller ? html` <span class="badge drill">drill caller</span>` : ""}`)}</dd></dl></section>
<section class="misuse"><h2>Misuse figures</h2>
<p class="${over.length ? "error" : ""}">Calls and urgent mail in the last 24 hours: ${v.numbers.map((n, i) => html`${i ? "; " : ""}${n.number}: <strong>${n.callsInLastDay}</strong>`)} (flagged past ${v.misuseLimit} a day).</p>
<p>Of the last ${v.real.length} real incidents (${calls} calls, ${v.real.length - calls} mails), ${flagged} were flagged as possible misuse and ${v.real.filter((i) => i.groupedWith).length} were repeat calls grouped with an earlier one.</p></section>
<section><h2>Calls and mails</h2>${table(v.real, "No real calls or mails from this partner.")}
<p><a href="/console?partner=${encodeURIComponent(v.name)}&amp;drill=exclude">All of them on the dashboard →</a></p></section>
<section><h2>Drill history</h2>${table(v.drills, "No drills from this partner yet.")}</section>`,
    { csrf },
  );
}

/** `/console/partners`: the directory; `/console/partners/:name`: one partner's calls, mails, misuse, drills and contacts. */
export function partnerRoutes(deps: PartnerPageDeps): Router {
  const router = Router();
  const csrf = (res: Response) => String(res.locals.csrf ?? "");

  router.get("/partners", (_req, res) => {
    const partners = [...byName(deps.config.partners).values()].sort((a, b) => a.partner.name.localeCompare(b.partner.name));
    res.type("html").send(
      layout(
        "Partners",
        html`<h1>Partners</h1>${partners.length
          ? html`<ul class="partners">${partners.map((p) => html`<li><a href="/console/partners/${encodeURIComponent(p.partner.name)}">${p.partner.name}</a> — ${p.numbers.join(", ")}</li>`)}</ul>`
          : html`<p>No PARTNERS_FILE: calls and mail are known by their number or address only.</p>`}`,
        { csrf: csrf(res) },
      ),
    );
  });

  router.get("/partners/:name", async (req, res) => {
    const found = byName(deps.config.partners).get(req.params.name.toLowerCase());
    if (!found) {
      res.status(404).type("html").send(layout("Not found", html`<h1>No partner named ${req.params.name}</h1><p><a href="/console/partners">All partners</a></p>`, { csrf: csrf(res) }));
      return;
    }
    const name = found.partner.name;
    const now = deps.now();
    const views = async (drill: "exclude" | "only", limit: number) => {
      const page = await deps.search.page({ drill, partner: name }, { limit });
      return (await Promise.all(page.ids.map((id) => deps.views.get(id)))).filter((v): v is IncidentView => v !== null);
    };
    const [real, drills, counts] = await Promise.all([views("exclude", 50), views("only", 20), Promise.all(found.numbers.map((n) => deps.usage.callsInLastDay(n, now)))]);
    const numbers = found.numbers.map((number, i) => ({ number, callsInLastDay: counts[i]!, drillCaller: deps.config.DRILL_CALLERS.includes(number) }));
    res.type("html").send(partnerPage({ name, partner: found.partner, numbers, real, drills, misuseLimit: deps.config.MISUSE_CALLS_PER_DAY }, csrf(res)));
  });
  return router;
}
