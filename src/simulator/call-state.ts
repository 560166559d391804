import { randomBytes } from "node:crypto";
import twilio from "twilio";
import type { CallerBehaviour, EngineerBehaviour } from "./scenario.ts";

/**
 * What every leg of one simulated call shares: the virtual clock, the transcript, the signed webhook
 * requests and their timings, the callbacks Twilio sends after the call, and the milestones a drill checks.
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

/** The caller hung up. Thrown wherever time passes beyond their hang-up time: the call ends where it stands. */
export class CallerHungUp extends Error {}

export const sid = (prefix: string) => `${prefix}${randomBytes(16).toString("hex")}`;

export class CallState {
  readonly callSid = sid("CA");
  clock = 0;
  firstRingAt: number | null = null;
  humanAt: number | null = null;
  beepAt: number | null = null;
  bridgedLevel: number | null = null;
  private readonly events: CallEvent[] = [];
  private readonly webhooks: WebhookTiming[] = [];
  private readonly errors: string[] = [];
  private readonly deferred: { at: number; url: string; params: Record<string, string> }[] = [];
  private readonly engineerOrder = new Map<string, number>();

  constructor(
    readonly options: CarrierOptions,
    readonly caller: CallerBehaviour,
    private readonly engineers: readonly EngineerBehaviour[],
  ) {}

  note(party: Party, kind: CallEvent["kind"], text: string) {
    this.events.push({ t: Math.round(this.clock * 10) / 10, party, kind, text });
  }

  fail(message: string) {
    this.errors.push(message);
    this.note("carrier", "error", message);
  }

  /** Time passes for the caller; past their hang-up time the call ends where it stands. */
  advance(seconds: number) {
    const limit = this.caller.hangUpAfter;
    if (limit !== undefined && this.clock + seconds >= limit) {
      this.clock = Math.max(this.clock, limit);
      throw new CallerHungUp();
    }
    this.clock = Math.round((this.clock + seconds) * 10) / 10;
  }

  /** The level (1, 2, 3) of a dialled number: engineers are numbered in the order the line first dials them. */
  engineerAt(number: string): { level: number; behaviour: EngineerBehaviour } {
    if (!this.engineerOrder.has(number)) this.engineerOrder.set(number, this.engineerOrder.size + 1);
    const level = this.engineerOrder.get(number)!;
    return { level, behaviour: this.engineers[level - 1] ?? { does: "no-answer" } };
  }

  /** Requests a webhook signed as Twilio signs it; anything but a 2xx answer is an error of the line. */
  async post(url: string, method: string, params: Record<string, string>): Promise<string> {
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

  /** A callback Twilio sends later (status, recording, transcription), at a virtual time. */
  defer(at: number, url: string, params: Record<string, string>) {
    this.deferred.push({ at, url, params });
  }

  /** After the call: the deferred callbacks in virtual-time order, then the call's result. */
  async finish(): Promise<CallResult> {
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
}
