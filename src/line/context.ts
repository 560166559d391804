import type { Logger } from "pino";
import { engineerAt, type Engineer } from "../call/engineers.ts";
import { isCallOver } from "../call/flow.ts";
import { identifyCaller } from "../call/callers.ts";
import { maskPhone } from "../call/phone.ts";
import type { CallMeta, CallRecord, Stage } from "../call/records.ts";
import { timeline as events } from "../call/timeline-events.ts";
import type { Config } from "../config.ts";
import type { Incidents } from "../incidents/incidents.ts";
import type { Metrics } from "../metrics.ts";
import type { StatusPage } from "../statuspage/client.ts";
import type { CallerUsage } from "../store/caller-usage.ts";
import type { OnCall } from "../store/oncall.ts";
import type { CallSessions } from "../store/sessions.ts";
import type { Timeline } from "../store/timeline.ts";
import type { WriteGuard } from "../store/write-ops.ts";
import { twimlRoute } from "./twiml-route.ts";
import { render, type DialTarget, type TwimlDocument } from "./twiml.ts";

export interface LineDeps {
  config: Config;
  sessions: CallSessions;
  timeline: Timeline;
  incidents: Incidents;
  statusPage: StatusPage;
  usage: CallerUsage;
  /** Who is on call: the schedule (or ENGINEERS) with overrides. */
  oncall: OnCall;
  metrics: Metrics;
  /** Sends an incident's held follow-up email now (no transcription is coming). */
  releaseEmail(incidentId: string): Promise<unknown>;
  log: Logger;
  now: () => Date;
}

/**
 * What every webhook shares: its dependencies and the few steps more than one of them takes (dialling a
 * level, rendering TwiML). Built once per router; each webhook file is a function of it.
 */
export class LineContext {
  constructor(readonly deps: LineDeps) {}

  /** A TwiML webhook with the line's deadline (see twiml-route.ts). */
  route<B extends Parameters<typeof twimlRoute>[0]["body"], Q extends Parameters<typeof twimlRoute>[0]["body"]>(
    options: Omit<Parameters<typeof twimlRoute<B, Q>>[0], "deadline">,
  ) {
    const base = this.deps.config.PUBLIC_BASE_URL;
    return twimlRoute<B, Q>({
      ...options,
      deadline: { ms: this.deps.config.WEBHOOK_DEADLINE_MS, publicUrl: (originalUrl) => `${base}${originalUrl}`, holdOn: (redirect) => this.twiml({ step: "hold-on", redirect }) },
    });
  }

  twiml(document: TwimlDocument): string {
    return render(this.deps.config.PUBLIC_BASE_URL, document);
  }

  stamp(): string {
    return this.deps.now().toISOString();
  }

  /**
   * `lineNumber`: the number the partner dialled (the call's To), shown to the engineer as caller ID. Null
   * when there is nobody to dial at that level (nobody on call at all): the caller goes to the voicemail.
   */
  target(callSid: string, level: number, engineers: readonly Engineer[], lineNumber?: string): DialTarget | null {
    const engineer = engineers[level - 1];
    if (!engineer) return null;
    const callerId = lineNumber && /^\+[1-9]\d{6,14}$/.test(lineNumber) ? lineNumber : undefined;
    return { level, engineer, callSid, ringTimeout: this.deps.config.RING_TIMEOUT_SECONDS, callerId };
  }

  /** Without I/O: whom this process would dial now, for fallbacks that cannot read the session. */
  knownEngineers(): Engineer[] {
    return this.deps.oncall.knownForCall(this.deps.now());
  }

  /**
   * The session of the call a caller-leg webhook is about. When there is none (the call's first webhook was
   * lost, or answered from the request alone while Redis was away and that process' spool went with it), a
   * minimal one is stored from the webhook's own fields, flagged `reconstructed`, so the incident this call
   * raises can be read, shown and followed up like any other. Unreadable counts as none: the reconstruction
   * is then spooled, and a real session, wherever it is, still wins (`CallSessions.reconstruct`).
   */
  async sessionOf(p: { CallSid: string; From: string; To: string }, stage: Stage): Promise<CallMeta> {
    const { config, sessions, oncall, log, now } = this.deps;
    const known = await sessions.meta(p.CallSid).catch(() => null);
    if (known) return known;
    const caller = identifyCaller(config, p.From);
    log.warn({ callSid: p.CallSid, from: maskPhone(p.From), stage }, "no session for this call; reconstructed from the webhook");
    const engineers = await oncall.forCall(now());
    // Not counted or grouped as a repeat caller: it pages on its own, the cautious side.
    const unknown = { statusNotice: null, callsInLastDay: null, groupedWithCall: null, reconstructed: true };
    return sessions.reconstruct({ callSid: p.CallSid, from: p.From, to: p.To, ...caller, startedAt: this.stamp(), engineers, ...unknown }, stage);
  }

  /**
   * For webhooks without From (recording status, transcription): they raise nothing, so they reconstruct a
   * session only for a call already raised without one; otherwise a later webhook that knows the caller
   * (the Record action, the status callback) does, since the first reconstruction stands.
   */
  async sessionIfRaised(callSid: string): Promise<void> {
    const { sessions, incidents } = this.deps;
    if (await sessions.meta(callSid).catch(() => null)) return;
    if (!(await incidents.idOfCall(callSid).catch(() => null))) return;
    await this.sessionOf({ CallSid: callSid, From: "unknown", To: "unknown" }, "voicemail");
  }

  async requireMeta(callSid: string): Promise<CallMeta> {
    const meta = await this.deps.sessions.meta(callSid);
    if (!meta) throw new Error(`no session for call ${callSid}`);
    return meta;
  }

  /**
   * Records that a level is being dialled and answers its Dial, after the greeting or a hold prompt. With
   * nobody to dial (nobody was on call when the call came in) the caller goes to the voicemail instead.
   * `guard`: the writes are sent with the session's start (see `CallSessions.startedBy`).
   */
  async dialStep(meta: CallMeta, level: number, intro: "greeting" | "hold" | "another", guard?: WriteGuard): Promise<string> {
    const { sessions, timeline } = this.deps;
    const dial = this.target(meta.callSid, level, meta.engineers, meta.to);
    if (!dial) {
      await this.together(sessions.setStage(meta.callSid, "voicemail", undefined, guard), timeline.append(meta.callSid, events.voicemailPrompt(this.stamp()), guard));
      return this.twiml(intro === "greeting" ? { step: "greeting", drill: meta.drill, dial: null } : { step: "voicemail" });
    }
    await this.together(sessions.setStage(meta.callSid, "hunting", level, guard), timeline.append(meta.callSid, events.dialled(this.stamp(), level, engineerAt(meta.engineers, level)), guard));
    return this.twiml(intro === "greeting" ? { step: "greeting", drill: meta.drill, dial } : { step: "dial", intro, dial });
  }

  /**
   * Writes that do not depend on each other, sent in one round trip: they are started in this order, the
   * journal sends them as one batch in that order (docs/architecture.md "One round trip"), and with Redis away the
   * journal spools them in the same order. Only for writes whose order against each other does not matter
   * to what they store (a stage and a timeline entry), never a raise and what must precede it.
   */
  async together(...writes: Promise<unknown>[]): Promise<void> {
    await Promise.all(writes);
  }

  /**
   * A request of the caller's leg said the call is over (a terminal CallStatus on an action can come before
   * the status callback): the call ends here, as the status callback would end it. Idempotent.
   */
  async endIfOver(p: { CallSid: string; CallStatus: string }): Promise<boolean> {
    if (!isCallOver(p.CallStatus)) return false;
    await this.deps.incidents.callEnded(p.CallSid, { callStatus: p.CallStatus, duration: null });
    return true;
  }

  /** The TwiML that carries a call on from the stage its session records (the fallback URL, a stray request). */
  async resume(call: CallRecord): Promise<string> {
    switch (call.stage) {
      case "greeting":
        return this.dialStep(call.meta, 1, "greeting");
      case "notice":
        if (call.meta.statusNotice) return this.twiml({ step: "status-notice", drill: call.meta.drill, notice: call.meta.statusNotice });
        return this.dialStep(call.meta, 1, "hold");
      case "hunting":
        return this.dialStep(call.meta, Math.max(call.level, 1), "hold");
      case "voicemail":
        return this.twiml({ step: "voicemail" });
      case "connected":
      case "ended":
        return this.twiml({ step: "empty" });
    }
  }

  /** Without the session: the same Dial, for whoever this process knows to be on call now (else the voicemail). */
  dialFallback(p: { CallSid: string; To: string }, level: number, intro: "hold" | "another"): string {
    const dial = this.target(p.CallSid, level, this.knownEngineers(), p.To);
    return this.twiml(dial ? { step: "dial", intro, dial } : { step: "voicemail" });
  }
}
