import type { Config } from "./config.ts";
import { engineerLabel, type Engineer } from "./call/engineers.ts";
import { maskPhone } from "./call/phone.ts";

/** The roster a starting line will dial, and why that one (the stored roster or ENGINEERS). */
export interface RosterInForce {
  engineers: Engineer[];
  source: "ENGINEERS" | "console";
  reason: string;
}

export interface StartupSummary {
  msg: string;
  fields: Record<string, unknown>;
}

/**
 * One log line, at start-up, that says where calls, pages and mail will go and what is switched off, so a
 * wrong or forgotten variable shows on the first screen instead of on the first real emergency. Numbers are
 * masked, and URLs are reduced to their host: a webhook's path or an SMTP URL's user part may be a secret.
 */
export function startupSummary(config: Config, options: { process: "line" | "worker"; roster?: RosterInForce }): StartupSummary {
  const parts: string[] = [];
  const fields: Record<string, unknown> = { process: options.process };
  const off: string[] = [];

  if (options.process === "line" && config.schedule) {
    // Who is dialled changes with the schedule: the summary names the file; the on-call warnings follow it.
    const levels = config.schedule.levels.map((level) => ({ level: level.level, name: level.name, layers: level.layers.length }));
    parts.push(`dials the on-call schedule (SCHEDULE_FILE: ${levels.map((l) => `${l.level} ${l.name}`).join(", ")}; ${Object.keys(config.schedule.engineers).length} engineers)`);
    fields.schedule = { file: config.SCHEDULE_FILE, levels };
    fields.publicBaseUrl = config.PUBLIC_BASE_URL;
  } else if (options.process === "line") {
    const roster = options.roster ?? { engineers: config.ENGINEERS ?? [], source: "ENGINEERS" as const, reason: "from the environment" };
    const dials = roster.engineers.map((engineer, i) => ({ level: i + 1, name: engineerLabel(engineer, i + 1), number: maskPhone(engineer.number) }));
    parts.push(`dials ${dials.map((d) => `${d.level} ${d.name} ${d.number}`).join(", ")} (roster from ${roster.source})`);
    fields.dials = dials;
    fields.roster = { source: roster.source, reason: roster.reason };
    fields.publicBaseUrl = config.PUBLIC_BASE_URL;
  }

  const pages = hostOf(config.MOBILISE_WEBHOOK_URL);
  parts.push(pages ? `pages ${pages} (${config.MOBILISE_FORMAT})` : "paging OFF: MOBILISE_WEBHOOK_URL unset");
  fields.pages = pages ? { host: pages, format: config.MOBILISE_FORMAT } : null;
  const drillPages = hostOf(config.MOBILISE_DRILL_WEBHOOK_URL);
  fields.drillPages = drillPages;
  if (!drillPages) off.push("drill pages (MOBILISE_DRILL_WEBHOOK_URL unset)");

  const smtp = hostOf(config.SMTP_URL);
  parts.push(`mail via ${smtp}`);
  fields.mail = { smtp, supportEmail: config.SUPPORT_EMAIL };

  const callers = config.DRILL_CALLERS.length;
  parts.push(`${callers} drill caller${callers === 1 ? "" : "s"}`);
  fields.drillCallers = callers;
  const partners = Object.keys(config.partners).length;
  parts.push(`${partners} partner${partners === 1 ? "" : "s"}`);
  fields.partners = partners;

  if (options.process === "line") {
    if (!config.STATUSPAGE_URL) off.push("status page (STATUSPAGE_URL unset)");
    if (!config.RUN_WORKERS) off.push("workers (RUN_WORKERS=false: run `emergency-line worker` beside it)");
  }
  fields.statusPage = hostOf(config.STATUSPAGE_URL);
  fields.workers = options.process === "worker" || config.RUN_WORKERS;
  fields.off = off;
  parts.push(off.length ? `off: ${off.join(", ")}` : "nothing off");

  return { msg: `${options.process === "line" ? "emergency line" : "follow-up worker"} up: ${parts.join("; ")}`, fields };
}

function hostOf(url: string | undefined): string | null {
  if (!url) return null;
  return new URL(url).host;
}
