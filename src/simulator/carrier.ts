import { randomBytes } from "node:crypto";
import twilio from "twilio";
import type { CallerBehaviour, EngineerBehaviour } from "./scenario.ts";
import { parseTwiml, TwimlError, type Verb } from "./twiml-parser.ts";

/**
 * The carrier: plays Twilio's part for one inbound call. It requests the line's webhooks signed as Twilio
 * signs them, executes the TwiML that comes back verb by verb, and plays the caller and the engineers from
 * their scenario behaviour, on a virtual clock. It knows nothing of the line but its URLs.
 */

export interface CarrierOptions {
  /** Where the line is: {target}/voice/incoming is the number's Voice URL, {target}/voice/status its status callback. */
  target: string;
  accountSid: string;
  authToken: string;
  lineNumber: string;
}

export type Party = "caller" | `engineer ${number}` | "carrier";

export interface CallEvent {
  /** Virtual seconds since the call was answered. */
  t: number;
  party: Party;
  kind: "hears" | "presses" | "rings" | "answers" | "misses" | "records" | "hangs up" | "bridged" | "note" | "error";
  text: string;
}

export interface WebhookTiming {
  url: string;
  ms: number;
  status: number;
}

export interface CallResult {
  callSid: string;
  events: CallEvent[];
  firstRingAt: number | null;
  humanAt: number | null;
  beepAt: number | null;
  endedAt: number;
  bridgedLevel: number | null;
  webhooks: WebhookTiming[];
  errors: string[];
}

// Text-to-speech pace: about 150 words a minute.
const WORDS_PER_SECOND = 2.5;
const BUSY_SECONDS = 3;
const FAILED_SECONDS = 1;
const PLAY_SECONDS = 5;
const MAX_DOCUMENTS = 50;

export function speechSeconds(text: string): number {
  const words = text.split(/\s+/).filter(Boolean).length;
  return Math.max(1, Math.round((words / WORDS_PER_SECOND) * 10) / 10);
}

class CallerHungUp extends Error {}
class CallEnded extends Error {}

const sid = (prefix: string) => `${prefix}${randomBytes(16).toString("hex")}`;

export class SimulatedCall {
  readonly callSid = sid("CA");
  private clock = 0;
  private readonly events: CallEvent[] = [];
  private readonly webhooks: WebhookTiming[] = [];
  private readonly errors: string[] = [];
  private readonly keys: string[];
  private readonly deferred: { at: number; url: string; params: Record<string, string> }[] = [];
  private readonly engineerOrder = new Map<string, number>();
  private firstRingAt: number | null = null;
  private humanAt: number | null = null;
  private beepAt: number | null = null;
  private bridgedLevel: number | null = null;
  private callStatus: "completed" | "busy" | "no-answer" = "completed";

  constructor(
    private readonly options: CarrierOptions,
    private readonly caller: CallerBehaviour,
    private readonly engineers: readonly EngineerBehaviour[],
  ) {
    this.keys = [...caller.keys];
  }

  async run(): Promise<CallResult> {
    const { target } = this.options;
    try {
      await this.runDocument(`${target}/voice/incoming`, "POST", this.callParams({ CallStatus: "ringing" }), "caller");
      this.note("carrier", "hangs up", "the line's TwiML ended; Twilio hangs up");
    } catch (error) {
      if (error instanceof CallerHungUp) this.note("caller", "hangs up", "caller hangs up");
      else if (!(error instanceof CallEnded)) {
        this.errors.push((error as Error).message);
        this.note("carrier", "error", (error as Error).message);
      }
    }
    // After the call: the number's status callback, then recording and transcription callbacks, in virtual time.
    this.deferred.push({ at: this.clock, url: `${target}/voice/status`, params: this.callParams({ CallStatus: this.callStatus, CallDuration: String(Math.round(this.clock)) }) });
    for (const callback of this.deferred.sort((a, b) => a.at - b.at)) {
      try {
        await this.post(callback.url, "POST", callback.params);
      } catch (error) {
        this.errors.push((error as Error).message);
      }
    }
    return {
      callSid: this.callSid,
      events: this.events,
      firstRingAt: this.firstRingAt,
      humanAt: this.humanAt,
      beepAt: this.beepAt,
      endedAt: this.clock,
      bridgedLevel: this.bridgedLevel,
      webhooks: this.webhooks,
      errors: this.errors,
    };
  }

  private callParams(extra: Record<string, string> = {}): Record<string, string> {
    return {
      AccountSid: this.options.accountSid,
      CallSid: this.callSid,
      From: this.caller.number,
      To: this.options.lineNumber,
      Caller: this.caller.number,
      Called: this.options.lineNumber,
      CallStatus: "in-progress",
      Direction: "inbound",
      ApiVersion: "2010-04-01",
      ...extra,
    };
  }

  private note(party: Party, kind: CallEvent["kind"], text: string) {
    this.events.push({ t: Math.round(this.clock * 10) / 10, party, kind, text });
  }

  /** Time passes for the caller; past their hang-up time the call ends where it stands. */
  private advance(seconds: number) {
    const limit = this.caller.hangUpAfter;
    if (limit !== undefined && this.clock + seconds >= limit) {
      this.clock = Math.max(this.clock, limit);
      throw new CallerHungUp();
    }
    this.clock = Math.round((this.clock + seconds) * 10) / 10;
  }

  private async post(url: string, method: string, params: Record<string, string>): Promise<string> {
    const signature = twilio.getExpectedTwilioSignature(this.options.authToken, url, method === "GET" ? {} : params);
    const requestUrl = method === "GET" ? `${url}${url.includes("?") ? "&" : "?"}${new URLSearchParams(params)}` : url;
    const started = performance.now();
    const response = await fetch(requestUrl, {
      method,
      headers: { "content-type": "application/x-www-form-urlencoded", "x-twilio-signature": signature, "i-twilio-idempotency-token": randomBytes(8).toString("hex") },
      body: method === "GET" ? undefined : new URLSearchParams(params),
    });
    const body = await response.text();
    this.webhooks.push({ url: new URL(url).pathname, ms: performance.now() - started, status: response.status });
    if (!response.ok) throw new Error(`${new URL(url).pathname} answered HTTP ${response.status}: ${body.slice(0, 200)}`);
    return body;
  }

  /** Requests a TwiML document and runs it; a document answered with a new one (an action, a redirect) continues there. */
  private async runDocument(url: string, method: string, params: Record<string, string>, party: Party): Promise<void> {
    let next: { url: string; method: string; params: Record<string, string> } | null = { url, method, params };
    for (let documents = 0; next; documents++) {
      if (documents >= MAX_DOCUMENTS) throw new Error(`more than ${MAX_DOCUMENTS} TwiML documents in one call: a redirect loop?`);
      const xml = await this.post(next.url, next.method, next.params);
      let verbs: Verb[];
      try {
        verbs = parseTwiml(xml);
      } catch (error) {
        if (error instanceof TwimlError) throw new Error(`${new URL(next.url).pathname} answered invalid TwiML: ${error.message}`);
        throw error;
      }
      next = await this.runVerbs(verbs, next.url, party);
    }
  }

  private async runVerbs(verbs: Verb[], documentUrl: string, party: Party): Promise<{ url: string; method: string; params: Record<string, string> } | null> {
    const resolve = (url: string | undefined) => new URL(url ?? documentUrl, documentUrl).toString();
    for (const verb of verbs) {
      if (this.play(verb, party)) continue;
      const method = verb.attrs.method ?? "POST";
      switch (verb.name) {
        case "Gather": {
          const digits = await this.gather(verb, party);
          if (digits !== null) return { url: resolve(verb.attrs.action), method, params: this.callParams({ Digits: digits }) };
          // Twilio: with no input the next verb runs, unless actionOnEmptyResult asks for the action anyway.
          if (verb.attrs.actionOnEmptyResult === "true") return { url: resolve(verb.attrs.action), method, params: this.callParams() };
          break;
        }
        case "Dial": {
          const outcome = await this.dial(verb, resolve);
          if (verb.attrs.action) return { url: resolve(verb.attrs.action), method, params: this.callParams(outcome) };
          break;
        }
        case "Record": {
          const recording = await this.record(verb, resolve);
          // Twilio: an empty recording skips the action and runs the next verb.
          if (recording) return { url: resolve(verb.attrs.action), method, params: this.callParams(recording) };
          break;
        }
        case "Redirect":
          return { url: resolve(verb.text), method, params: this.callParams() };
        case "Hangup":
          this.note(party, "hears", "(the line hangs up)");
          throw new CallEnded();
        case "Reject":
          this.callStatus = verb.attrs.reason === "busy" ? "busy" : "no-answer";
          this.note(party, "hears", `(call rejected: ${verb.attrs.reason ?? "rejected"})`);
          throw new CallEnded();
        default:
          throw new Error(`unsupported TwiML verb <${verb.name}>`);
      }
    }
    // Twilio: a document that runs out of verbs ends the call.
    throw new CallEnded();
  }

  /** Say, Play and Pause: what a party hears, and the time it takes. False for any other verb. */
  private play(verb: Verb, party: Party): boolean {
    if (verb.name === "Say") {
      this.note(party, "hears", verb.text);
      this.advance(speechSeconds(verb.text));
    } else if (verb.name === "Play") {
      this.note(party, "hears", `(audio ${verb.text})`);
      this.advance(PLAY_SECONDS);
    } else if (verb.name === "Pause") {
      this.advance(Number(verb.attrs.length ?? 1));
    } else return false;
    return true;
  }

  /**
   * The caller's keys at a Gather: the next entry of their `keys`. We read keys as pressed once the prompt
   * has played (Twilio also accepts them during it); the time to a human then errs on the long side.
   */
  private async gather(verb: Verb, party: Party): Promise<string | null> {
    for (const child of verb.children) this.play(child, party);
    const keys = party === "caller" ? (this.keys.shift() ?? "") : "";
    if (keys) {
      this.note(party, "presses", keys);
      return keys;
    }
    this.advance(Number(verb.attrs.timeout ?? 5));
    return null;
  }

  private levelOf(number: string): number {
    if (!this.engineerOrder.has(number)) this.engineerOrder.set(number, this.engineerOrder.size + 1);
    return this.engineerOrder.get(number)!;
  }

  /**
   * One <Dial>, with its <Number> nouns. Several Numbers ring at once and the first to answer wins; a
   * Number's url runs on the engineer's leg before the bridge, and if that document hangs up, the leg ends
   * without a bridge. Twilio then reports DialCallStatus "completed" for the answered leg (the reading the
   * line must survive: an answer is not an acceptance).
   */
  private async dial(verb: Verb, resolve: (url: string | undefined) => string): Promise<Record<string, string>> {
    const timeout = Number(verb.attrs.timeout ?? 30);
    const numbers = verb.children.filter((child) => child.name === "Number");
    if (numbers.length === 0) throw new Error("<Dial> without a <Number>");
    if (this.firstRingAt === null) this.firstRingAt = this.clock;
    const legs = numbers.map((noun) => {
      const level = this.levelOf(noun.text);
      const behaviour: EngineerBehaviour = this.engineers[level - 1] ?? { does: "no-answer" };
      return { noun, level, behaviour, legSid: sid("CA") };
    });
    for (const leg of legs) this.note(`engineer ${leg.level}`, "rings", `${leg.noun.text} rings (${leg.behaviour.does})`);

    const answering = legs
      .filter((leg) => "answerAfter" in leg.behaviour && leg.behaviour.answerAfter < timeout)
      .sort((a, b) => (a.behaviour as { answerAfter: number }).answerAfter - (b.behaviour as { answerAfter: number }).answerAfter)[0];
    const started = this.clock;
    const ended = (status: string, extra: Record<string, string> = {}) => ({ DialCallStatus: status, DialCallDuration: "0", ...extra });

    if (!answering) {
      const quick = legs.every((leg) => leg.behaviour.does === "busy" || leg.behaviour.does === "failed");
      const status = quick ? (legs.some((leg) => leg.behaviour.does === "busy") ? "busy" : "failed") : "no-answer";
      try {
        this.advance(quick ? (status === "busy" ? BUSY_SECONDS : FAILED_SECONDS) : timeout);
      } catch (error) {
        if (error instanceof CallerHungUp) await this.dialActionAfterHangup(verb, resolve, ended("canceled"));
        throw error;
      }
      for (const leg of legs) this.note(`engineer ${leg.level}`, "misses", status);
      return ended(status, { DialCallSid: legs[0]!.legSid });
    }

    const behaviour = answering.behaviour as Extract<EngineerBehaviour, { answerAfter: number }>;
    const party: Party = `engineer ${answering.level}`;
    try {
      this.advance(behaviour.answerAfter);
    } catch (error) {
      if (error instanceof CallerHungUp) await this.dialActionAfterHangup(verb, resolve, ended("canceled"));
      throw error;
    }
    this.note(party, "answers", behaviour.does === "voicemail" ? "a personal voicemail picks up" : "picks up");
    const answeredAt = this.clock;
    // sendDigits are played to the engineer's phone once it answers (extensions, PINs).
    const sendDigits = answering.noun.attrs.sendDigits;
    if (sendDigits) this.note("carrier", "note", `sends ${sendDigits} to ${party}`);
    const legParams = {
      AccountSid: this.options.accountSid,
      CallSid: answering.legSid,
      ParentCallSid: this.callSid,
      // The engineer sees the Dial's callerId, or by default the caller's own number.
      From: verb.attrs.callerId ?? this.caller.number,
      To: answering.noun.text,
      CallStatus: "in-progress",
      Direction: "outbound-dial",
      ApiVersion: "2010-04-01",
    };
    const bridged = answering.noun.attrs.url ? await this.whisper(resolve(answering.noun.attrs.url), answering.noun.attrs.method ?? "POST", legParams, behaviour, party) : true;
    if (!bridged) {
      this.note(party, "hangs up", "leg ended before the bridge");
      return ended("completed", { DialCallSid: answering.legSid, DialCallDuration: String(Math.round(this.clock - answeredAt)) });
    }
    this.bridgedLevel = answering.level;
    this.humanAt ??= this.clock;
    this.note(party, "bridged", `caller and ${party} talk (${behaviour.does === "accept" ? behaviour.talkFor : 0} s)`);
    try {
      this.advance(behaviour.does === "accept" ? behaviour.talkFor : 0);
    } catch (error) {
      if (error instanceof CallerHungUp) await this.dialActionAfterHangup(verb, resolve, ended("completed", { DialCallSid: answering.legSid, DialCallDuration: String(Math.round(this.clock - answeredAt)) }));
      throw error;
    }
    this.note(party, "hangs up", "engineer ends the conversation");
    return { DialCallStatus: "completed", DialCallSid: answering.legSid, DialCallDuration: String(Math.round(this.clock - started)) };
  }

  /**
   * The caller hung up during the Dial. Twilio's docs do not settle whether the action is still requested;
   * we request it (the answer is ignored, the call being over), the harder case for the line to get right.
   */
  private async dialActionAfterHangup(verb: Verb, resolve: (url: string | undefined) => string, outcome: Record<string, string>) {
    if (verb.attrs.action) await this.post(resolve(verb.attrs.action), verb.attrs.method ?? "POST", this.callParams({ ...outcome, CallStatus: "completed" }));
  }

  /** Runs the whisper document on the engineer's leg; true when it ends without hanging up (the bridge). */
  private async whisper(url: string, method: string, params: Record<string, string>, behaviour: EngineerBehaviour, party: Party): Promise<boolean> {
    let next: { url: string; params: Record<string, string> } | null = { url, params };
    for (let documents = 0; next; documents++) {
      if (documents >= MAX_DOCUMENTS) throw new Error("whisper redirect loop");
      const verbs = parseTwiml(await this.post(next.url, method, next.params));
      const current: string = next.url;
      next = null;
      for (const verb of verbs) {
        if (this.play(verb, party)) continue;
        if (verb.name === "Gather") {
          for (const child of verb.children) this.play(child, party);
          const keys = behaviour.does === "accept" ? "1" : behaviour.does === "decline" ? behaviour.press : "";
          if (keys) {
            this.note(party, "presses", keys);
            next = { url: new URL(verb.attrs.action ?? current, current).toString(), params: { ...params, Digits: keys } };
            break;
          }
          this.advance(Number(verb.attrs.timeout ?? 5));
        } else if (verb.name === "Hangup" || verb.name === "Reject") {
          return false;
        } else if (verb.name === "Dial") {
          throw new Error("<Dial> is not allowed in a <Number> url document");
        } else if (verb.name === "Redirect") {
          next = { url: new URL(verb.text, current).toString(), params };
          break;
        }
      }
    }
    return true;
  }

  /** The caller's voicemail at a <Record>; null when they leave nothing (an empty recording). */
  private async record(verb: Verb, resolve: (url: string | undefined) => string): Promise<Record<string, string> | null> {
    const voicemail = this.caller.voicemail;
    if (verb.attrs.playBeep !== "false") this.note("caller", "hears", "(beep)");
    this.beepAt ??= this.clock;
    if (!voicemail) {
      this.advance(Number(verb.attrs.timeout ?? 5));
      return null;
    }
    const maxLength = Number(verb.attrs.maxLength ?? 3600);
    const duration = Math.min(voicemail.seconds, maxLength);
    const recordingSid = sid("RE");
    const recordingUrl = `https://api.twilio.com/2010-04-01/Accounts/${this.options.accountSid}/Recordings/${recordingSid}`;
    this.note("caller", "records", `${duration} s: "${voicemail.says}"`);
    const hangsUp = voicemail.endsWith === "hangup" && duration === voicemail.seconds;
    this.clock += duration;
    const finishKey = (verb.attrs.finishOnKey ?? "1234567890*#").includes("#") ? "#" : (verb.attrs.finishOnKey ?? "")[0];
    if (!hangsUp && finishKey) this.note("caller", "presses", finishKey);
    const recorded = { RecordingUrl: recordingUrl, RecordingSid: recordingSid, RecordingDuration: String(duration), Digits: hangsUp ? "hangup" : duration === maxLength ? "" : (finishKey ?? "") };
    if (verb.attrs.recordingStatusCallback) {
      this.deferred.push({
        at: this.clock + 1,
        url: resolve(verb.attrs.recordingStatusCallback),
        params: { AccountSid: this.options.accountSid, CallSid: this.callSid, RecordingSid: recordingSid, RecordingUrl: recordingUrl, RecordingStatus: "completed", RecordingDuration: String(duration) },
      });
    }
    if (verb.attrs.transcribe === "true" || verb.attrs.transcribeCallback) {
      // Twilio transcribes recordings of 2 minutes at most; longer ones come back failed.
      const status = duration > 120 ? "failed" : voicemail.transcription;
      this.deferred.push({
        at: this.clock + voicemail.transcriptionAfter,
        url: resolve(verb.attrs.transcribeCallback),
        params: {
          AccountSid: this.options.accountSid,
          CallSid: this.callSid,
          RecordingSid: recordingSid,
          RecordingUrl: recordingUrl,
          TranscriptionSid: sid("TR"),
          TranscriptionStatus: status,
          TranscriptionText: status === "completed" ? voicemail.says : "",
        },
      });
    }
    if (hangsUp) {
      // Twilio still requests the action after a hang-up, and ignores what it answers.
      await this.post(resolve(verb.attrs.action), verb.attrs.method ?? "POST", this.callParams({ ...recorded, CallStatus: "completed" }));
      throw new CallerHungUp();
    }
    return recorded;
  }
}
