import type { CallResult } from "./call-state.ts";
import type { CapturedMail, CapturedPost } from "./capture.ts";
import type { Expectation, Scenario } from "./scenario.ts";
import { eventually } from "./wait.ts";

/** What a drill checks after each call: the line's own account of it, and what left the line. */

/** Where a drill's calls go, and what it can see of their effects. */
export interface DrillTarget {
  /** The line a scenario's calls dial. Local drills start one per scenario, set up as the scenario says. */
  lineFor(scenario: Scenario): Promise<string>;
  apiToken: string;
  authToken: string;
  accountSid: string;
  lineNumber: string;
  /** What left the line (emails, mobilisations); null against a deployed line, where it cannot be seen. */
  capture: { mails: CapturedMail[]; posts: CapturedPost[] } | null;
  /** Whether the drill can set the status page's state (only for a line it started itself). */
  controlsStatusPage: boolean;
  /** Whether the drill can set the line's clock and schedule (`at:`, `schedule:`; only for a line it started itself). */
  controlsOnCall: boolean;
  /**
   * Sets the clock of a line started for a scenario with `at:` back to that instant: every run of the
   * scenario (chaos runs share one line) places its calls at the instant it names.
   */
  rewind?(line: string): void;
  /**
   * Where a scenario's emails go: the line's SMTP listener and the address it takes mail for (its
   * SUPPORT_EMAIL); null when the drill cannot reach one (a deployed line without --smtp).
   */
  mailDoor?(line: string): MailDoor | null;
  /**
   * Moves the line's clock to `seconds` after the scenario's start (never back) and runs what fell due
   * meanwhile (case holds: their delayed close jobs, which check their own deadline); says what it ran.
   * Only for a line the drill started; mail scenarios with a later `at:` are skipped elsewhere.
   */
  advanceClock?(line: string, seconds: number): Promise<string>;
  /** Why a scenario must not be placed on this line (e.g. it would be a real call there), or null. */
  refuse?: (scenario: Scenario) => string | null;
  /** The callers a deployed line treats as drills, when it said (load mode calls from these only). */
  drillCallers?: readonly string[];
}

export interface MailDoor {
  host: string;
  port: number;
  /** The address the line takes mail for. */
  to: string;
}

export interface Check {
  name: string;
  /** null: could not be checked here (e.g. emails of a deployed line). */
  ok: boolean | null;
  expected: string;
  actual: string;
}

// How long to wait (real time) for the workers' effects, and then for any duplicate that would follow.
export const EFFECT_WAIT_MS = 8_000;
export const DUPLICATE_GRACE_MS = 250;

export async function api(url: string, path: string, token: string): Promise<any> {
  const response = await fetch(`${url}${path}`, { headers: { authorization: `Bearer ${token}` } });
  return response.ok ? response.json() : null;
}

/** The line marks its drill reports (X-Drill-Report), so they count apart from the follow-up emails. */
export const isDrillReport = (m: CapturedMail) => m.mail.headers.get("x-drill-report") === "true";

export const show = (value: unknown) => (value === null || value === undefined ? "nothing" : typeof value === "string" ? value : JSON.stringify(value));

/** "Margaret (+15550002001), Dennis (+15550002003)": numbers with the schedule's names where it has them. */
function whoRang(numbers: readonly string[], phoneBook: Record<string, string>): string {
  const names = new Map(Object.entries(phoneBook).map(([name, number]) => [number, name]));
  return numbers.length ? numbers.map((n) => (names.has(n) ? `${names.get(n)} (${n})` : n)).join(", ") : "nobody";
}

export async function checkCall(expect: Expectation, result: CallResult, url: string, target: DrillTarget, phoneBook: Record<string, string> = {}): Promise<Check[]> {
  const checks: Check[] = [];
  const add = (name: string, expected: unknown, actual: unknown, ok: boolean | null = show(expected) === show(actual)) =>
    checks.push({ name, ok, expected: show(expected), actual: show(actual) });

  const call = await eventually(async () => {
    const view = await api(url, `/api/calls/${result.callSid}`, target.apiToken);
    return view?.outcome && (!expect.incident || view.incidentId) ? view : null;
  }, EFFECT_WAIT_MS);
  const incident = call?.incidentId ? await api(url, `/api/incidents/${call.incidentId}`, target.apiToken) : null;

  if (expect.outcome) add("outcome", expect.outcome, call?.outcome ?? null);
  if (expect.engineer !== undefined) {
    add("engineer", `engineer ${expect.engineer} (carrier bridged, line recorded)`, `carrier bridged ${show(result.bridgedLevel)}, line recorded ${show(call?.acceptedLevel)}`,
      result.bridgedLevel === expect.engineer && call?.acceptedLevel === expect.engineer);
  }
  if (expect.rings) {
    const expected = expect.rings.map((who) => phoneBook[who] ?? who);
    add("rings", whoRang(expected, phoneBook), whoRang(result.rang, phoneBook), expected.join() === result.rang.join());
  }
  if (expect.attempts) add("attempts", expect.attempts, (call?.attempts ?? []).map((a: { result: string }) => a.result));
  add("incident", expect.incident ? "raised once" : "none", incident ? `${incident.id} raised` : "none", expect.incident ? Boolean(incident) : !incident);
  if (expect.drill !== undefined) add("drill flag", expect.drill, incident?.drill ?? null);
  if (expect.contact) {
    const contact = incident?.voicemail?.contact ?? null;
    add("follow-up contact", expect.contact, contact && { ...(expect.contact.email !== undefined && { email: contact.email }), ...(expect.contact.phone !== undefined && { phone: contact.phone }) });
  }
  if (expect.maxSecondsToHuman !== undefined) {
    add("time to a human", `≤ ${expect.maxSecondsToHuman} s`, result.humanAt === null ? "never" : `${result.humanAt.toFixed(1)} s`, result.humanAt !== null && result.humanAt <= expect.maxSecondsToHuman);
  }
  const heard = result.events.filter((e) => e.party === "caller" && e.kind === "hears").map((e) => e.text).join(" ");
  for (const phrase of expect.callerHears) add("caller hears", phrase, heard.includes(phrase) ? phrase : "not said", heard.includes(phrase));

  const id = incident?.id as string | undefined;
  // Nothing may leave the line twice, or for a call that raised nothing: the expected counts default to one
  // page and one email per incident (GoAlert's smoke tests assert the same of its notifications).
  const pages = expect.mobilised ?? (expect.incident ? 1 : 0);
  const emails = expect.emails ?? (expect.incident || expect.email ? 1 : 0);
  if (!target.capture) {
    if (expect.mobilised !== undefined) add("mobilised", expect.mobilised, "not visible on a deployed line", null);
    if (expect.drillReport) add("drill report", "1 email(s)", "not visible on a deployed line", null);
    if (expect.email || expect.emails !== undefined) add("email", expect.email ?? expect.emails, "not visible on a deployed line", null);
    return checks;
  }
  const capture = target.capture;
  // Read afresh on every probe: what left the line keeps arriving while we wait.
  const reports = expect.drillReport ? 1 : 0;
  const ours = {
    posts: () => (id ? capture.posts.filter((p) => p.body?.dedup_key === id || p.body?.incident?.id === id) : []),
    mails: () => (id ? capture.mails.filter((m) => m.mail.subject?.includes(id) && !isDrillReport(m)) : []),
    reports: () => (id ? capture.mails.filter((m) => m.mail.subject?.includes(id) && isDrillReport(m)) : []),
  };
  await eventually(() => ours.posts().length >= pages && ours.mails().length >= emails && ours.reports().length >= reports, EFFECT_WAIT_MS);
  await new Promise((resolve) => setTimeout(resolve, DUPLICATE_GRACE_MS));
  const posted = ours.posts();
  const sent = ours.mails();
  const extra = (count: number, expected: number, what: string) => (count > expected ? ` (${count - expected} unexpected ${what}${count - expected > 1 ? "s" : ""})` : "");
  const via = posted.length ? ` via ${[...new Set(posted.map((p) => p.path))].join(", ")}` : "";
  add("mobilised", `${pages} time(s)`, `${posted.length} time(s)${via}${extra(posted.length, pages, "page")}`, posted.length === pages);
  add("emails sent", emails, `${sent.length}${extra(sent.length, emails, "email")}`, sent.length === emails);
  if (expect.drillReport !== undefined) {
    const got = ours.reports();
    const to = got.length ? ` to ${[...new Set(got.flatMap((m) => m.envelopeTo))].join(", ")}` : "";
    add("drill report", `${reports} email(s)`, `${got.length} email(s)${to}${extra(got.length, reports, "drill report")}`, got.length === reports);
  }
  if (expect.email) {
    const mail = sent[0];
    if (expect.email.to) add("email to", expect.email.to, mail?.envelopeTo.join(", ") ?? null);
    for (const phrase of expect.email.contains) add("email says", phrase, mail?.mail.text?.includes(phrase) ? phrase : "not in the email", Boolean(mail?.mail.text?.includes(phrase)));
    for (const phrase of expect.email.subjectContains) add("email subject", phrase, mail?.mail.subject ?? null, Boolean(mail?.mail.subject?.includes(phrase)));
  }
  return checks;
}
