import { timeline as events, type TimelineEvent } from "../call/timeline-events.ts";
import type { Incidents } from "../incidents/incidents.ts";
import type { CaseState, FollowupState } from "../store/followup-state.ts";
import type { Timeline } from "../store/timeline.ts";
import type { FollowupQueues } from "./queues.ts";

export class CaseError extends Error {
  constructor(
    readonly status: 404 | 409,
    message: string,
  ) {
    super(message);
  }
}

/**
 * The case hold: after the follow-up is sent the case waits CASE_HOLD_HOURS for the partner's reply and
 * then closes. A reply stops the clock; a closed case can be reopened, which arms a fresh hold.
 */
export class CaseDesk {
  constructor(
    private readonly deps: {
      incidents: Incidents;
      followup: FollowupState;
      queues: FollowupQueues;
      timeline: Timeline;
      holdMs: number;
      now: () => Date;
    },
  ) {}

  /** Called once the follow-up email is sent: starts the hold of the current generation. */
  async startHold(incidentId: string): Promise<void> {
    const { followup, queues, holdMs, now } = this.deps;
    const callSid = await this.callSid(incidentId);
    const current = await followup.read(incidentId);
    const closesAt = new Date(now().getTime() + holdMs).toISOString();
    if (await followup.transitionCase(incidentId, ["open"], "awaiting-reply", { closesAt })) {
      await queues.scheduleCaseClose(incidentId, current.case.generation, holdMs);
      await this.note(callSid, events.caseHold(now().toISOString(), current.case.generation, closesAt));
    }
  }

  /**
   * A staff reply left on the thread: the case now waits CASE_HOLD_HOURS for the partner, from whatever
   * state it was in (a new generation, the old hold's close cancelled). Once per reply message.
   */
  async holdAfterReply(incidentId: string, messageId: string): Promise<void> {
    const callSid = await this.callSid(incidentId);
    const { followup, queues, holdMs, now } = this.deps;
    const before = (await followup.read(incidentId)).case;
    if (before.holdFor === messageId) return;
    const generation = before.generation + 1;
    const closesAt = new Date(now().getTime() + holdMs).toISOString();
    // From closed too: the case is open again, so closedAt/closedBy go (the timeline keeps them).
    const fields = { closesAt, generation: String(generation), holdFor: messageId, closedAt: "", closedBy: "" };
    if (await followup.transitionCase(incidentId, ["open", "awaiting-reply", "partner-replied", "closed"], "awaiting-reply", fields)) {
      await queues.cancelCaseClose(incidentId, before.generation);
      await queues.scheduleCaseClose(incidentId, generation, holdMs);
      await this.note(callSid, events.caseHold(now().toISOString(), generation, closesAt));
    }
  }

  /** The partner replied (by email, or staff recorded it): the pending close is cancelled; a closed case re-opens. */
  async reply(incidentId: string): Promise<CaseState> {
    const callSid = await this.callSid(incidentId);
    const { followup, queues, now } = this.deps;
    const before = (await followup.read(incidentId)).case;
    if (await followup.transitionCase(incidentId, ["open", "awaiting-reply", "closed"], "partner-replied", { repliedAt: now().toISOString(), closedAt: "", closedBy: "" })) {
      await queues.cancelCaseClose(incidentId, before.generation);
      await this.note(callSid, events.caseReplied(now().toISOString(), before.generation));
    }
    return (await followup.read(incidentId)).case;
  }

  /**
   * A closed case opens again with a fresh hold. Its closedAt/closedBy go (the case is not closed now);
   * who closed it and when stay in the timeline (case.closed events) and the audit trail.
   */
  async reopen(incidentId: string): Promise<CaseState> {
    const callSid = await this.callSid(incidentId);
    const { followup, queues, holdMs, now } = this.deps;
    const before = (await followup.read(incidentId)).case;
    const generation = before.generation + 1;
    const closesAt = new Date(now().getTime() + holdMs).toISOString();
    if (!(await followup.transitionCase(incidentId, ["closed"], "awaiting-reply", { reopenedAt: now().toISOString(), closesAt, generation: String(generation), closedAt: "", closedBy: "" }))) {
      throw new CaseError(409, `case ${incidentId} is ${before.state}, not closed: only a closed case can be reopened`);
    }
    await queues.scheduleCaseClose(incidentId, generation, holdMs);
    await this.note(callSid, events.caseReopened(now().toISOString(), generation, closesAt));
    return (await followup.read(incidentId)).case;
  }

  /** Staff close the case (solved on the phone, say): any pending close is cancelled; no closing mail is sent. */
  async close(incidentId: string, by: { email: string; name: string }): Promise<CaseState> {
    const callSid = await this.callSid(incidentId);
    const { followup, queues, now } = this.deps;
    const before = (await followup.read(incidentId)).case;
    if (!(await followup.transitionCase(incidentId, ["open", "awaiting-reply", "partner-replied"], "closed", { closedAt: now().toISOString(), closedBy: by.email }))) {
      throw new CaseError(409, `case ${incidentId} is closed already`);
    }
    await queues.cancelCaseClose(incidentId, before.generation);
    await this.note(callSid, events.caseClosedByStaff(now().toISOString(), before.generation, by.name));
    return (await followup.read(incidentId)).case;
  }

  /** Who on staff owns the case; assigning the owner it has already changes nothing. */
  async assign(incidentId: string, owner: { email: string; name: string }): Promise<CaseState> {
    await this.callSid(incidentId);
    await this.deps.followup.write(incidentId, "case", { owner: owner.email, ownerName: owner.name });
    return (await this.deps.followup.read(incidentId)).case;
  }

  /** The delayed job's work. A hold superseded by a reopen, or a case that got its reply, stays as it is. */
  async closeIfUnanswered(incidentId: string, generation: number): Promise<boolean> {
    const { followup, now } = this.deps;
    const current = (await followup.read(incidentId)).case;
    if (current.generation !== generation) return false;
    const closed = await followup.transitionCase(incidentId, ["awaiting-reply"], "closed", { closedAt: now().toISOString() });
    if (closed) {
      const callSid = await this.callSid(incidentId);
      await this.note(callSid, events.caseClosed(now().toISOString(), generation));
    }
    // Also when a retried job finds the case closed already: the closing email is one job per hold.
    if (closed || (current.state === "closed" && current.generation === generation)) await this.deps.queues.queueThreadMail({ incidentId, kind: "closing", generation });
    return closed;
  }

  /**
   * Time left of the hold `generation` on the line's clock; 0 when it is not the current hold or has no
   * deadline (closeIfUnanswered then decides, as before).
   */
  async dueInMs(incidentId: string, generation: number): Promise<number> {
    const current = (await this.deps.followup.read(incidentId)).case;
    if (current.generation !== generation || !current.closesAt) return 0;
    return Math.max(0, Date.parse(current.closesAt) - this.deps.now().getTime());
  }

  private async callSid(incidentId: string): Promise<string> {
    // A call's CallSid, or an email case's key: whose timeline the case's events go on.
    const subject = await this.deps.incidents.subjectOf(incidentId);
    if (!subject) throw new CaseError(404, `no incident ${incidentId}`);
    return subject;
  }

  private async note(callSid: string, event: TimelineEvent): Promise<void> {
    await this.deps.timeline.append(callSid, event);
  }
}
