import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import type { Logger } from "pino";
import type { InboundMail, ThreadMessage } from "../call/mail.ts";
import { mailTimeline } from "../call/mail-events.ts";
import { partnerOfSender } from "../call/partners.ts";
import type { Config } from "../config.ts";
import type { CaseDesk } from "../followup/cases.ts";
import type { FollowupQueues } from "../followup/queues.ts";
import { messageDomain } from "../followup/thread-message.ts";
import type { Incidents } from "../incidents/incidents.ts";
import { incidentIdFor } from "../store/incident-ids.ts";
import type { CallerUsage } from "../store/caller-usage.ts";
import type { FollowupState } from "../store/followup-state.ts";
import type { MailStore } from "../store/mail-store.ts";
import type { Timeline } from "../store/timeline.ts";
import { addressOf, automaticReason, severityOf, threadCandidates } from "./classify.ts";
import { extractFacts } from "./facts.ts";
import { parseMail } from "./parse.ts";

export interface MailDeskDeps {
  config: Config;
  mail: MailStore;
  incidents: Incidents;
  followup: FollowupState;
  cases: CaseDesk;
  queues: FollowupQueues;
  timeline: Timeline;
  usage: CallerUsage;
  log: Logger;
  now: () => Date;
}

export interface Received {
  messageId: string;
  duplicate: boolean;
  action: "automatic" | "threaded" | "raised" | "joined";
  incidentId: string | null;
  reason?: string;
}

/**
 * The one pipeline behind both doors (the SMTP listener and `POST /email/inbound`), see docs/architecture.md,
 * "The email door": parse, store (before anything is acknowledged), then act once: automatic mail stops
 * there; a reply joins its incident; urgent mail raises a SEV1 that pages, other mail a SEV3 case. Each step
 * is idempotent, so a message redelivered after a failure half-way is finished, never doubled. Any Redis
 * error reaches the caller, which answers "try again later".
 */
export class MailDesk {
  constructor(private readonly deps: MailDeskDeps) {}

  async receive(raw: Buffer, envelope: { via: "smtp" | "http"; from: string | null }): Promise<Received> {
    const { mail: store, now } = this.deps;
    const parsed = await parseMail(raw, envelope, now());
    const mail = await this.keepAttachments(parsed.digest, parsed.mail, parsed.contents);
    const { mail: stored } = await store.store(parsed.digest, mail);
    const done = await store.done(parsed.digest);
    if (done !== null) {
      const [action, incidentId] = done.split(" ") as [Received["action"], string | undefined];
      return { messageId: stored.messageId, duplicate: true, action, incidentId: incidentId || null };
    }
    const result = await this.act(stored, parsed.digest);
    await store.markDone(parsed.digest, `${result.action} ${result.incidentId ?? ""}`);
    this.deps.log.info({ messageId: stored.messageId, action: result.action, incidentId: result.incidentId, reason: result.reason }, "inbound email");
    return result;
  }

  private async act(mail: InboundMail, digest: string): Promise<Received> {
    const { config, incidents, cases } = this.deps;
    const domain = messageDomain(config.PUBLIC_BASE_URL);
    const reason = automaticReason(mail, { addresses: [addressOf(config.FOLLOWUP_FROM)], domain });
    const base = { messageId: mail.messageId, duplicate: false };
    if (reason) return { ...base, action: "automatic", incidentId: null, reason };

    for (const id of threadCandidates(mail, domain)) {
      const subject = await incidents.subjectOf(id);
      if (!subject) continue;
      await this.onThread(id, subject, mail, (at) => mailTimeline.partnerReplied(at, { from: mail.from, subject: mail.subject, messageId: mail.messageId, body: mail.text }));
      await cases.reply(id);
      return { ...base, action: "threaded", incidentId: id };
    }

    const severity = severityOf(mail.subject);
    const match = partnerOfSender(config.partners, mail.from);
    const drill = config.DRILL_SENDERS.includes(mail.from);
    // A drill sender is counted and grouped under its own address, never the partner's number: a drill must
    // not join the partner's real incident (its page would be lost to the drill channel's), nor real mail a drill.
    const sender = drill ? mail.from : (match?.number ?? mail.from);
    const caseKey = `mail-${digest.slice(0, 24)}`;
    const received = (joined: boolean) => (at: string) =>
      mailTimeline.received(at, { from: mail.from, subject: mail.subject, messageId: mail.messageId, severity, body: mail.text, joined });
    let usage: number | null = null;
    if (severity === "SEV1") {
      // Urgent mail counts in the partner's one misuse window with their calls (keyed by the directory's
      // number), and in the same group: within MISUSE_GROUP_MINUTES of their call's incident, it joins that.
      const use = await this.deps.usage.record(sender, caseKey, this.deps.now());
      usage = use.callsInLastDay;
      const grouped = use.groupedWithCall ? await incidents.idOfCall(use.groupedWithCall) : null;
      const joined = grouped && (await this.isOpen(grouped, drill)) ? grouped : await this.openUrgentOf(sender, caseKey, drill);
      if (joined) {
        const subject = (await incidents.subjectOf(joined))!;
        await this.onThread(joined, subject, mail, received(true));
        return { ...base, action: "joined", incidentId: joined };
      }
    }
    const { incidentId } = await incidents.raiseCase({ caseKey, severity, from: mail.from, subject: mail.subject, drill, partner: match?.partner ?? null, usage });
    if (severity === "SEV1") await this.deps.mail.claimUrgent(sender, incidentId, incidentId);
    await this.deps.timeline.append(caseKey, mailTimeline.raised(this.deps.now().toISOString(), incidentId, severity));
    await this.onThread(incidentId, caseKey, mail, received(false));
    await this.deps.queues.enqueueForMail(incidentId, { page: severity === "SEV1" });
    return { ...base, action: "raised", incidentId };
  }

  /**
   * The sender's open urgent incident this mail joins, if any (repeated urgent mail pages once). Claims the
   * sender's slot for this mail's own incident otherwise, so two urgent mails racing raise one incident.
   */
  private async openUrgentOf(sender: string, caseKey: string, drill: boolean): Promise<string | null> {
    const { mail: store, incidents, now } = this.deps;
    const own = await incidents.idOfCall(caseKey);
    for (let tries = 0; tries < 3; tries++) {
      const existing = await store.openUrgent(sender);
      if (existing && existing !== own && (await this.isOpen(existing, drill))) return existing;
      if (existing === own && own) return null;
      if (await store.claimUrgent(sender, own ?? incidentIdFor(caseKey, now()), existing)) return null;
    }
    return null;
  }

  /**
   * An incident that exists, whose case is not closed, and a drill exactly when this mail is one: more urgent
   * mail joins it. (A number in DRILL_CALLERS may also be a partner's directory number.)
   */
  private async isOpen(incidentId: string, drill: boolean): Promise<boolean> {
    const incident = await this.deps.incidents.get(incidentId);
    return incident !== null && incident.drill === drill && (await this.deps.followup.read(incidentId)).case.state !== "closed";
  }

  private async onThread(incidentId: string, subject: string, mail: InboundMail, event: (at: string) => Parameters<Timeline["append"]>[1]): Promise<void> {
    const facts = extractFacts(`${mail.subject}\n${mail.text}`);
    const message: ThreadMessage = {
      direction: "in",
      kind: "partner",
      messageId: mail.messageId,
      at: mail.receivedAt,
      from: mail.from,
      to: mail.to.join(", "),
      replyTo: mail.replyTo,
      subject: mail.subject,
      text: mail.text,
      inReplyTo: mail.inReplyTo,
      references: mail.references,
      attachments: mail.attachments,
      facts,
    };
    await this.deps.mail.append(incidentId, message);
    await this.deps.timeline.append(subject, event(mail.receivedAt));
    if (facts.traceIds.length) await this.deps.timeline.append(subject, mailTimeline.traceIds(mail.receivedAt, mail.messageId, facts.traceIds));
  }

  /** Attachments are kept as name, type and size; their contents only under ATTACHMENTS_DIR. */
  private async keepAttachments(digest: string, mail: InboundMail, contents: Buffer[]): Promise<InboundMail> {
    const dir = this.deps.config.ATTACHMENTS_DIR;
    if (!dir || !contents.length) return mail;
    const folder = join(dir, digest.slice(0, 32));
    await mkdir(folder, { recursive: true, mode: 0o700 });
    const attachments = await Promise.all(
      mail.attachments.map(async (a, i) => {
        const file = join(folder, `${i + 1}-${a.name.replace(/[^\w.-]+/g, "_").slice(0, 100)}`);
        await writeFile(file, contents[i]!, { mode: 0o600 });
        return { ...a, stored: file };
      }),
    );
    return { ...mail, attachments };
  }
}
