import type { Check, DrillTarget } from "./checks.ts";
import { EFFECT_WAIT_MS } from "./checks.ts";
import type { ScenarioEmail } from "./email-scenario.ts";
import { answersTo, checkBefore, checkEmail, ourMails, readIncident, referencesOf, type PartIncident } from "./mail-checks.ts";
import { deliverEmail, drillMessageId, span, type Delivery, type Parent } from "./mail.ts";
import type { Scenario } from "./scenario.ts";
import { eventually } from "./wait.ts";

/**
 * A scenario's emails, in the order of their `at:` on the line's clock (docs/architecture.md, "Scenario
 * format"): each is delivered over SMTP to the line's listener once the clock reaches its moment, in the
 * thread of the message it replies to, then checked against what the line did.
 */

export interface EmailReport {
  id?: string;
  from: string;
  subject: string;
  /** Virtual seconds after the scenario's start. */
  at: number;
  messageId: string;
  incidentId: string | null;
  delivery: { code: number; response: string } | null;
  /** What happened around the delivery, for people: the clock, the SMTP exchange, what the line did. */
  events: { at: number; text: string }[];
  checks: Check[];
  passed: boolean;
}

/** The part of a scenario's calls the emails need: its incident, once the call and its checks are done. */
export type CallDone = Promise<{ incidentId: string | null }>;

/** Why a scenario's emails cannot go to this target, or null. */
export function mailSkipReason(scenario: Scenario, target: DrillTarget, line?: string): string | null {
  if (!scenario.emails.length) return null;
  if (!target.mailDoor || (line !== undefined && !target.mailDoor(line))) return "delivers email, which needs the deployed line's SMTP listener: pass --smtp HOST:PORT (and --mail-to its SUPPORT_EMAIL)";
  const later = scenario.emails.find((e) => e.at > 0);
  if (later && !target.advanceClock) return `moves the line's clock (an email at +${span(later.at)}), which a drill cannot do on a deployed line`;
  return null;
}

const order = (emails: readonly ScenarioEmail[]) => emails.map((email, index) => ({ email, index })).sort((a, b) => a.email.at - b.email.at || a.index - b.index);

/**
 * `redeliver` (chaos runs): every email is delivered twice with one Message-ID, as an MTA does when the
 * line's 250 was lost on the way; the line must answer the same and do nothing more.
 */
export async function runEmails(scenario: Scenario, url: string, target: DrillTarget, calls: readonly CallDone[], { redeliver = false } = {}): Promise<EmailReport[]> {
  const door = target.mailDoor!(url)!;
  const callIds = new Map(scenario.calls.flatMap((call, i) => (call.id ? [[call.id, i] as const] : [])));
  const delivered = new Map<string, Delivery>();
  const reports: EmailReport[] = new Array(scenario.emails.length);

  const partIncident: PartIncident = async (id) => {
    const call = callIds.get(id);
    if (call !== undefined) return { incidentId: (await calls[call]!).incidentId, what: `call ${id}` };
    return { incidentId: delivered.get(id)?.incidentId ?? null, what: `email ${id}` };
  };

  // The thread our email joins: the follow-up of a call's incident, or the line's acknowledgement of an
  // earlier email, as the drill's SMTP capture saw it leave (a deployed line: its thread in the staff API).
  const parentOf = async (replyTo: string): Promise<Parent | string> => {
    const { incidentId, what } = await partIncident(replyTo);
    if (!incidentId) return `cannot reply to ${what}: it has no incident on the line`;
    const capture = target.capture;
    if (capture) {
      const found = await eventually(() => {
        const mails = callIds.has(replyTo) ? ourMails(capture.mails, incidentId, "followup") : answersTo(capture.mails, delivered.get(replyTo)!.messageId);
        return mails[0] ?? null;
      }, EFFECT_WAIT_MS);
      if (!found?.mail.messageId) return `cannot reply to ${what}: the line sent ${callIds.has(replyTo) ? "no follow-up email" : "no acknowledgement"} for ${incidentId}`;
      return { messageId: found.mail.messageId, references: referencesOf(found) };
    }
    const kind = callIds.has(replyTo) ? "followup" : "ack";
    const view = await eventually(async () => {
      const seen = await readIncident(url, incidentId, target);
      return seen?.thread?.some((m) => m.direction === "out" && m.kind === kind && m.sentAt) ? seen : null;
    }, EFFECT_WAIT_MS);
    const message = view?.thread?.find((m) => m.direction === "out" && m.kind === kind && m.sentAt);
    return message ? { messageId: message.messageId, references: [] } : `cannot reply to ${what}: ${incidentId} shows no ${kind === "followup" ? "follow-up email" : "acknowledgement"} sent`;
  };

  for (const { email, index } of order(scenario.emails)) {
    const events: EmailReport["events"] = [];
    const note = (text: string) => events.push({ at: email.at, text });
    const checks: Check[] = [];
    const report = (delivery: Delivery | null, extra: Check[] = []): EmailReport => {
      const all = [...checks, ...extra];
      return {
        ...(email.id && { id: email.id }),
        from: email.from,
        subject: email.subject,
        at: email.at,
        messageId: delivery?.messageId ?? "",
        incidentId: delivery?.incidentId ?? null,
        delivery: delivery && { code: delivery.code, response: delivery.response },
        events,
        checks: all,
        passed: all.every((c) => c.ok !== false),
      };
    };
    if (email.at > 0) {
      // The clock moves only once every call has ended: a call lives its own minutes, not the jump.
      await Promise.all(calls);
      note(await target.advanceClock!(url, email.at));
    }
    let parent: Parent | null = null;
    if (email.replyTo) {
      const found = await parentOf(email.replyTo);
      if (typeof found === "string") {
        checks.push({ name: "thread", ok: false, expected: `a message of ${email.replyTo} to reply to`, actual: found });
        reports[index] = report(null);
        continue;
      }
      parent = found;
      if (email.expect.before) {
        const { incidentId } = await partIncident(email.replyTo);
        checks.push(...(await checkBefore(email.expect.before, incidentId!, url, target)));
      }
    }
    note(`delivered over SMTP to ${door.to} at ${door.host}:${door.port}: From ${email.from}, Subject "${email.subject}"${parent ? `, In-Reply-To ${parent.messageId}` : ""}${Object.keys(email.headers).length ? `, ${Object.entries(email.headers).map(([k, v]) => `${k}: ${v}`).join(", ")}` : ""}`);
    const delivery = await deliverEmail(door, email, parent, drillMessageId(email));
    if (email.id) delivered.set(email.id, delivery);
    note(`line answered ${delivery.code || "nothing"}: ${delivery.response}`);
    if (redeliver) {
      const again = await deliverEmail(door, email, parent, delivery.messageId);
      note(`delivered again with the same Message-ID (a lost 250): line answered ${again.code || "nothing"}: ${again.response}`);
      checks.push({ name: "redelivery", ok: again.code === 250 && again.incidentId === delivery.incidentId, expected: `250, the same incident (${delivery.incidentId ?? "none"})`, actual: `${again.code || "no answer"}, ${again.incidentId ?? "no incident"}` });
    }
    const outcome = await checkEmail(email, delivery, url, target, partIncident);
    const seen = outcome.incident;
    if (seen) note(`line: ${seen.id} ${seen.severity ?? ""}, case ${seen.case?.state ?? "?"}${seen.traceIds?.length ? `, trace ids ${seen.traceIds.join(", ")}` : ""}`);
    for (const sent of outcome.answers) note(`line sent "${sent.mail.subject}" to ${sent.envelopeTo.join(", ")} in reply`);
    // The incident's pages in all (a call's incident that a reply joined counts the call's page).
    if (outcome.pages) note(!delivery.incidentId ? "line paged nobody (no incident)" : outcome.pages.length ? `pages for ${delivery.incidentId} in all: ${outcome.pages.length}, via ${[...new Set(outcome.pages.map((p) => p.path))].join(", ")}` : `pages for ${delivery.incidentId}: none`);
    reports[index] = report(delivery, outcome.checks);
  }
  return reports;
}
