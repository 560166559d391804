import { randomUUID } from "node:crypto";
import { PLAIN, type CallbackKind, type Variation } from "./chaos.ts";
import type { CallerBehaviour, EngineerBehaviour } from "./scenario.ts";
import { answerOf, sendWebhook, WEBHOOK_TIMEOUT_MS } from "./webhook.ts";

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
  /** How long a webhook may take before Twilio gives up on it (15 s; tests shorten it). */
  webhookTimeoutMs?: number;
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
  /** The numbers the line dialled, in the order it first dialled each: who rang at level 1, 2, 3. */
  rang: string[];
  webhooks: WebhookTiming[];
  /** The end-of-call callbacks in the order they were sent: what a chaos run permutes. */
  callbacks: SentCallback[];
  errors: string[];
}

/** The caller hung up. Thrown wherever time passes beyond their hang-up time: the call ends where it stands. */
export class CallerHungUp extends Error {}

/**
 * 32 hex digits, as a Twilio SID's tail: a v4 UUID's, 122 of its bits random. From randomUUID, which draws
 * its randomness in bulk: a randomBytes call per SID and per webhook's idempotency token was 3% of a load
 * run's CPU.
 */
const randomHex = () => randomUUID().replaceAll("-", "");

export const sid = (prefix: string) => `${prefix}${randomHex()}`;

export interface SentCallback {
  kind: CallbackKind;
  path: string;
}

interface Deferred {
  kind: CallbackKind;
  at: number;
  url: string;
  method: string;
  params: Record<string, string>;
}

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
  private readonly deferred: Deferred[] = [];
  private readonly engineerOrder = new Map<string, number>();

  constructor(
    readonly options: CarrierOptions,
    readonly caller: CallerBehaviour,
    private readonly engineers: readonly EngineerBehaviour[],
    readonly variation: Variation = PLAIN,
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

  /**
   * The level (1, 2, 3) of a dialled number: engineers are numbered in the order the line first dials them.
   * A number past those the scenario describes is a call nobody expected: the drill fails, and the phone
   * rings out unanswered so the call can go on.
   */
  engineerAt(number: string): { level: number; behaviour: EngineerBehaviour } {
    if (!this.engineerOrder.has(number)) {
      this.engineerOrder.set(number, this.engineerOrder.size + 1);
      const level = this.engineerOrder.size;
      if (level > this.engineers.length) this.fail(`the line dialled ${number} as engineer ${level}, which the scenario does not describe (it lists ${this.engineers.length})`);
    }
    const level = this.engineerOrder.get(number)!;
    return { level, behaviour: this.engineers[level - 1] ?? { does: "no-answer" } };
  }

  /**
   * Requests a webhook as Twilio does and answers its body, or throws a WebhookError. In a replaying
   * variation it goes twice with the same parameters and idempotency token, as a Twilio retry after a lost
   * answer does, and the second answer is the one that counts (the first never reached Twilio).
   */
  async post(url: string, method: string, params: Record<string, string>): Promise<string> {
    const token = randomHex();
    const signer = { authToken: this.options.authToken, timeoutMs: this.options.webhookTimeoutMs ?? WEBHOOK_TIMEOUT_MS };
    const attempts = this.variation.replay ? 2 : 1;
    let body = "";
    for (let attempt = 0; attempt < attempts; attempt++) {
      const exchange = await sendWebhook(signer, url, method, params, token);
      this.webhooks.push({ url: new URL(url).pathname, ms: exchange.ms, status: exchange.status });
      // A refusal (4xx) of the first copy is the line's error even when the replay is accepted.
      if (attempt === attempts - 1 || (exchange.status >= 400 && exchange.status < 500)) body = answerOf(exchange);
    }
    return body;
  }

  /** A callback Twilio sends after the call (action after a hang-up, status, recording, transcription), at a virtual time. */
  defer(kind: CallbackKind, at: number, url: string, params: Record<string, string>, method = "POST") {
    this.deferred.push({ kind, at, url, method, params });
  }

  /** After the call: the deferred callbacks in virtual-time order (or the variation's order), then the call's result. */
  async finish(): Promise<CallResult> {
    const { order } = this.variation;
    const rank = (callback: Deferred) => (order ? order.indexOf(callback.kind) : 0);
    const callbacks = [...this.deferred].sort((a, b) => rank(a) - rank(b) || a.at - b.at);
    for (const callback of callbacks) {
      try {
        await this.post(callback.url, callback.method, callback.params);
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
      rang: [...this.engineerOrder.keys()],
      webhooks: this.webhooks,
      callbacks: callbacks.map((callback) => ({ kind: callback.kind, path: new URL(callback.url).pathname })),
      errors: this.errors,
    };
  }
}
