import type { CapturedMail } from "./capture.ts";
import { api, DUPLICATE_GRACE_MS, EFFECT_WAIT_MS, show, type Check, type DrillTarget } from "./checks.ts";
import type { EmailExpectation, ScenarioEmail } from "./email-scenario.ts";
import type { Delivery } from "./mail.ts";
import { eventually } from "./wait.ts";

/**
 * What a drill checks after delivering an email: the line's own account (GET /api/incidents/:id, polled
 * until it shows what is expected or the bound runs out) and what left it (the drill's SMTP and webhook
 * captures, on a local line). Never a fixed sleep: only the short grace in which a duplicate would show.
 */

/** An incident as the staff API shows it: the fields the mail checks read. */
export interface IncidentSeen {
  id: string;
  severity?: string;
  case?: { state?: string };
  traceIds?: string[];
  thread?: { direction: string; kind: string; messageId: string; inReplyTo: string | null; to: string; subject: string; sentAt: string | null }[];
}

export const readIncident = (url: string, id: string, target: DrillTarget): Promise<IncidentSeen | null> => api(url, `/api/incidents/${encodeURIComponent(id)}`, target.apiToken);

/** The incident id a `replyTo` or `incident:` names: a call's or an earlier email's, or why there is none. */
export type PartIncident = (id: string) => Promise<{ incidentId: string | null; what: string }>;

export const referencesOf = (mail: CapturedMail) => (Array.isArray(mail.mail.references) ? mail.mail.references : mail.mail.references ? [mail.mail.references] : []);

/** The mail the line sent in the thread of our message (In-Reply-To its Message-ID): its acknowledgement. */
export const answersTo = (mails: readonly CapturedMail[], messageId: string) => mails.filter((m) => m.mail.inReplyTo === messageId);

/** The Message-IDs our line gives its mail: `<INC-….kind@host>` (docs/architecture.md, "The email door"). */
export const ourMails = (mails: readonly CapturedMail[], incidentId: string, kind: string) => mails.filter((m) => m.mail.messageId?.startsWith(`<${incidentId}.${kind}`));

/** Checks of the incident a mail replies to, just before it is delivered (`expect.before`). */
export async function checkBefore(before: NonNullable<EmailExpectation["before"]>, incidentId: string, url: string, target: DrillTarget): Promise<Check[]> {
  const checks: Check[] = [];
  if (before.caseState) {
    const seen = await settle(url, incidentId, target, (view) => view.case?.state === before.caseState);
    checks.push(check(`before: case of ${incidentId}`, before.caseState, seen?.case?.state ?? null));
  }
  if (before.closingSent !== undefined) {
    if (!target.capture) {
      checks.push({ name: "before: closing email", ok: null, expected: String(before.closingSent), actual: "not visible on a deployed line" });
    } else {
      const capture = target.capture;
      const closing = () => ourMails(capture.mails, incidentId, "closing");
      if (before.closingSent) await eventually(() => closing().length > 0, EFFECT_WAIT_MS);
      const sent = closing();
      checks.push({
        name: "before: closing email",
        ok: before.closingSent ? sent.length === 1 : sent.length === 0,
        expected: before.closingSent ? "one sent" : "none",
        actual: sent.length ? `${sent.length} sent (${sent.map((m) => `"${m.mail.subject}" to ${m.envelopeTo.join(", ")}`).join("; ")})` : "none",
      });
    }
  }
  return checks;
}

const check = (name: string, expected: unknown, actual: unknown, ok: boolean | null = show(expected) === show(actual)): Check => ({ name, ok, expected: show(expected), actual: show(actual) });

/** Polls the incident until `done` holds, or the bound runs out: the last view either way. */
async function settle(url: string, id: string, target: DrillTarget, done: (view: IncidentSeen) => boolean): Promise<IncidentSeen | null> {
  let last: IncidentSeen | null = null;
  await eventually(async () => {
    last = (await readIncident(url, id, target)) ?? last;
    return last !== null && done(last);
  }, EFFECT_WAIT_MS);
  return last;
}

export interface EmailOutcome {
  checks: Check[];
  /** The incident as last seen, and what left the line for this mail: for the report. */
  incident: IncidentSeen | null;
  answers: CapturedMail[];
  pages: { path: string }[] | null;
}

export async function checkEmail(email: ScenarioEmail, delivery: Delivery, url: string, target: DrillTarget, partIncident: PartIncident): Promise<EmailOutcome> {
  const expect = email.expect;
  const checks: Check[] = [];
  checks.push(check("delivered", "250 (stored by the line)", delivery.code ? delivery.response : `no SMTP answer: ${delivery.response}`, delivery.code === 250));
  const id = delivery.incidentId;

  if (expect.incident === true) checks.push(check("incident", "raised or joined", id ?? "none (the line's answer names no incident)", id !== null));
  else if (expect.incident === false) checks.push(check("incident", "none (nothing raised, nothing joined)", id ?? "none (nothing raised, nothing joined)", id === null));
  else {
    const part = await partIncident(expect.incident);
    checks.push(check("incident", `${part.what}'s: ${part.incidentId ?? "none"}`, id ?? "none", part.incidentId !== null && id === part.incidentId));
  }

  const capture = target.capture;
  const answers = () => (capture ? answersTo(capture.mails, delivery.messageId) : []);
  const ackWanted = expect.acknowledged !== undefined && expect.acknowledged !== false;
  // The acknowledgement is the last thing the line does for a new mail: wait for it first, then the rest.
  if (capture && ackWanted) await eventually(() => answers().length > 0, EFFECT_WAIT_MS);

  const wantsView = expect.severity !== undefined || expect.caseState !== undefined || expect.traceIds.length > 0;
  const view = id
    ? await settle(url, id, target, (v) =>
        (!expect.caseState || v.case?.state === expect.caseState) && expect.traceIds.every((t) => v.traceIds?.includes(t)) && (!expect.severity || v.severity === `SEV${expect.severity}`),
      )
    : null;
  if (wantsView && id && !view) checks.push(check("incident on the line", `GET /api/incidents/${id}`, "not found"));
  if (expect.severity !== undefined) checks.push(check("severity", `SEV${expect.severity}`, view?.severity ?? null));
  if (expect.caseState) checks.push(check("case", expect.caseState, view?.case?.state ?? null));
  for (const trace of expect.traceIds) checks.push(check("trace id", trace, view?.traceIds?.includes(trace) ? trace : `not on the incident (${show(view?.traceIds ?? [])})`, Boolean(view?.traceIds?.includes(trace))));

  if (!capture) {
    if (expect.acknowledged !== undefined) checks.push({ name: "acknowledged", ok: null, expected: show(expect.acknowledged), actual: "not visible on a deployed line" });
    if (expect.mobilised !== undefined) checks.push({ name: "mobilised", ok: null, expected: show(expect.mobilised), actual: "not visible on a deployed line" });
    return { checks, incident: view, answers: [], pages: null };
  }

  const pagesFor = () => (id ? capture.posts.filter((p) => p.body?.dedup_key === id || p.body?.incident?.id === id) : []);
  // One page per SEV1 the mail raised; none for a SEV3, an automatic mail or one a known incident took.
  const expectedPages = expect.mobilised ?? (expect.incident === false ? 0 : expect.incident === true && expect.severity !== undefined ? (expect.severity === 1 ? 1 : 0) : undefined);
  if (expectedPages) await eventually(() => pagesFor().length >= expectedPages, EFFECT_WAIT_MS);
  await new Promise((resolve) => setTimeout(resolve, DUPLICATE_GRACE_MS));

  const sent = answers();
  const described = sent.map((m) => `"${m.mail.subject}" to ${m.envelopeTo.join(", ")}`).join("; ") || "nothing";
  if (expect.acknowledged === undefined) {
    checks.push(check("answers in thread", "at most one", `${sent.length} (${described})`, sent.length <= 1));
  } else if (expect.acknowledged === false) {
    checks.push(check("acknowledged", "nothing sent back", sent.length ? `${sent.length} sent: ${described}` : "nothing sent back", sent.length === 0));
  } else {
    const toSender = sent.filter((m) => m.envelopeTo.map((a) => a.toLowerCase()).includes(email.from.toLowerCase()));
    checks.push(check("acknowledged", `one to ${email.from}, in reply to ${delivery.messageId}`, sent.length ? described : "nothing sent back", sent.length === 1 && toSender.length === 1));
    if (typeof expect.acknowledged === "object") {
      const text = sent[0]?.mail.text ?? "";
      for (const phrase of expect.acknowledged.contains) checks.push(check("acknowledgement says", phrase, text.includes(phrase) ? phrase : "not in it", text.includes(phrase)));
    }
  }
  const pages = pagesFor();
  const via = pages.length ? ` via ${[...new Set(pages.map((p) => p.path))].join(", ")}` : "";
  if (expectedPages === undefined) checks.push(check("mobilised", "at most once", `${pages.length} time(s)${via}`, pages.length <= 1));
  else checks.push(check("mobilised", `${expectedPages} time(s)`, `${pages.length} time(s)${via}`, pages.length === expectedPages));
  return { checks, incident: view, answers: sent, pages };
}
