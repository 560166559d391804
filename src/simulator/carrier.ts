import { CallerHungUp, CallState, type CallResult, type CarrierOptions } from "./call-state.ts";
import { PLAIN, type Variation } from "./chaos.ts";
import { Leg } from "./leg.ts";
import type { CallerBehaviour, EngineerBehaviour } from "./scenario.ts";
import type { LegEnd } from "./verbs/verb.ts";

export type { CallEvent, CallResult, CarrierOptions, Party, WebhookTiming } from "./call-state.ts";

/**
 * The carrier: plays Twilio's part for one inbound call. It requests the line's webhooks signed as Twilio
 * signs them, runs the TwiML that comes back on the caller's leg (and on each engineer's leg it dials), and
 * plays the caller and the engineers from their scenario behaviour, on a virtual clock. It knows nothing
 * of the line but its URLs.
 */
export class SimulatedCall {
  private readonly call: CallState;
  readonly callSid: string;

  constructor(options: CarrierOptions, caller: CallerBehaviour, engineers: readonly EngineerBehaviour[], variation: Variation = PLAIN) {
    this.call = new CallState(options, caller, engineers, variation);
    this.callSid = this.call.callSid;
  }

  async run(): Promise<CallResult> {
    const { call } = this;
    const { target, accountSid, lineNumber } = call.options;
    const keys = [...call.caller.keys];
    const leg = new Leg(call, {
      kind: "caller",
      party: "caller",
      sid: call.callSid,
      params: { AccountSid: accountSid, CallSid: call.callSid, From: call.caller.number, To: lineNumber, Caller: call.caller.number, Called: lineNumber, CallStatus: "in-progress", Direction: "inbound", ApiVersion: "2010-04-01" },
      keys: () => keys.shift() ?? "",
      voicemail: call.caller.voicemail,
    });
    let status = "completed";
    try {
      status = this.ended(await leg.run(`${target}/voice/incoming`, "POST", { CallStatus: "ringing" }));
    } catch (error) {
      if (error instanceof CallerHungUp) call.note("caller", "hangs up", "caller hangs up");
      else call.fail((error as Error).message);
    }
    // After the call: the number's status callback, with the other end-of-call callbacks, in virtual time (or permuted).
    call.defer("status", call.clock, `${target}/voice/status`, leg.params({ CallStatus: status, CallDuration: String(Math.round(call.clock)) }));
    return call.finish();
  }

  /** How the line's TwiML ended the caller's call; the call's final status. */
  private ended(end: LegEnd): string {
    if (end.how === "finished") this.call.note("carrier", "hangs up", "the line's TwiML ended; Twilio hangs up");
    else if (end.how === "hangup") this.call.note("caller", "hears", "(the line hangs up)");
    else {
      this.call.note("caller", "hears", `(call rejected: ${end.reason})`);
      return end.reason === "busy" ? "busy" : "no-answer";
    }
    return "completed";
  }
}
