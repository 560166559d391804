import type { Incidents } from "../incidents/incidents.ts";
import type { Timeline } from "../incidents/timeline.ts";
import type { FollowupQueues } from "./queues.ts";
import type { CaseState, FollowupState } from "./state.ts";

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
      await this.note(callSid, `hold:${current.case.generation}`, `Case awaiting the partner's reply; closes at ${closesAt} without one`);
    }
  }

  async reply(incidentId: string): Promise<CaseState> {
    const callSid = await this.callSid(incidentId);
    const { followup, queues, now } = this.deps;
    const before = (await followup.read(incidentId)).case;
    if (await followup.transitionCase(incidentId, ["open", "awaiting-reply", "closed"], "replied", { repliedAt: now().toISOString() })) {
      await queues.cancelCaseClose(incidentId, before.generation);
      await this.note(callSid, `reply:${before.generation}`, "Partner replied; the case stays open for the engineers");
    }
    return (await followup.read(incidentId)).case;
  }

  async reopen(incidentId: string): Promise<CaseState> {
    const callSid = await this.callSid(incidentId);
    const { followup, queues, holdMs, now } = this.deps;
    const before = (await followup.read(incidentId)).case;
    const generation = before.generation + 1;
    const closesAt = new Date(now().getTime() + holdMs).toISOString();
    if (!(await followup.transitionCase(incidentId, ["closed"], "awaiting-reply", { reopenedAt: now().toISOString(), closesAt, generation: String(generation) }))) {
      throw new CaseError(409, `case ${incidentId} is ${before.state}, not closed: only a closed case can be reopened`);
    }
    await queues.scheduleCaseClose(incidentId, generation, holdMs);
    await this.note(callSid, `reopen:${generation}`, `Case reopened by staff; closes at ${closesAt} without a reply`);
    return (await followup.read(incidentId)).case;
  }

  /** The delayed job's work. A hold superseded by a reopen, or a case that got its reply, stays as it is. */
  async closeIfUnanswered(incidentId: string, generation: number): Promise<boolean> {
    const { followup, now } = this.deps;
    const current = (await followup.read(incidentId)).case;
    if (current.generation !== generation) return false;
    const closed = await followup.transitionCase(incidentId, ["awaiting-reply"], "closed", { closedAt: now().toISOString() });
    if (closed) {
      const callSid = await this.callSid(incidentId);
      await this.note(callSid, `closed:${generation}`, "Case closed: no reply from the partner within the hold");
    }
    return closed;
  }

  private async callSid(incidentId: string): Promise<string> {
    const callSid = await this.deps.incidents.callSidOf(incidentId);
    if (!callSid) throw new CaseError(404, `no incident ${incidentId}`);
    return callSid;
  }

  private async note(callSid: string, key: string, text: string): Promise<void> {
    await this.deps.timeline.append(callSid, `case:${key}`, { at: this.deps.now().toISOString(), event: "case", text });
  }
}
