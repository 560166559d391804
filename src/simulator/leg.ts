import type { CallState } from "./call-state.ts";
import { parseTwiml, TwimlError, type Verb } from "./twiml-parser.ts";
import { WebhookError } from "./webhook.ts";
import { dial } from "./verbs/dial.ts";
import { gather } from "./verbs/gather.ts";
import { hangup } from "./verbs/hangup.ts";
import { pause } from "./verbs/pause.ts";
import { play } from "./verbs/play.ts";
import { record } from "./verbs/record.ts";
import { redirect } from "./verbs/redirect.ts";
import { reject } from "./verbs/reject.ts";
import { say } from "./verbs/say.ts";
import type { DocumentRequest, LegContext, LegEnd, LegKind, LegSpec, Next, VerbRunner } from "./verbs/verb.ts";

/**
 * One leg of a call: the caller's inbound call, or an engineer's leg dialled from it. A leg requests its
 * TwiML (signed, as Twilio does), runs the verbs in order, and follows actions and redirects to the next
 * document until the TwiML ends the leg. Both kinds of leg run the same verbs by the same rules, but for
 * the verbs TwiML forbids on a dialled leg.
 */

// Maps, not objects: a tag such as <constructor> must find nothing.
const VERBS = new Map<string, VerbRunner>(Object.entries({ Say: say, Play: play, Pause: pause, Gather: gather, Dial: dial, Record: record, Redirect: redirect, Hangup: hangup, Reject: reject }));

/** Verbs TwiML forbids on a kind of leg, with why. */
const FORBIDDEN: Record<LegKind, Map<string, string>> = {
  caller: new Map(),
  // Twilio error 13201: a <Number url> document runs on the dialled party's leg, which cannot dial out again.
  engineer: new Map([["Dial", "<Dial> is not allowed on an engineer's leg (a <Number url> document): Twilio error 13201"]]),
};

// Twilio follows actions and redirects for as long as the line answers; a carrier must give up somewhere.
const MAX_DOCUMENTS = 50;

export class Leg implements LegContext {
  private documentUrl = "";

  constructor(
    readonly call: CallState,
    private readonly spec: LegSpec,
  ) {}

  get kind() {
    return this.spec.kind;
  }
  get party() {
    return this.spec.party;
  }
  get sid() {
    return this.spec.sid;
  }
  get voicemail() {
    return this.spec.voicemail;
  }
  keys(): string {
    return this.spec.keys();
  }

  params(extra: Record<string, string> = {}): Record<string, string> {
    return { ...this.spec.params, ...extra };
  }

  resolve(url: string | undefined): string {
    return new URL(url ?? this.documentUrl, this.documentUrl).toString();
  }

  action(verb: Verb, url: string | undefined, extra: Record<string, string> = {}): Next {
    return { then: "request", request: this.requestFor(verb, url, extra) };
  }

  actionAfterHangUp(verb: Verb, extra: Record<string, string>): void {
    // Requested after the call like the other end-of-call callbacks, in no promised order with them.
    const { url, method, params } = this.requestFor(verb, verb.attrs.action, { ...extra, CallStatus: "completed" });
    this.call.defer("action", this.call.clock, url, params, method);
  }

  private requestFor(verb: Verb, url: string | undefined, extra: Record<string, string>): DocumentRequest {
    return { url: this.resolve(url), method: verb.attrs.method ?? "POST", params: this.params(extra) };
  }

  dialled(spec: Omit<LegSpec, "kind">): Leg {
    return new Leg(this.call, { ...spec, kind: "engineer" });
  }

  /** Runs the leg from its first document to the end of its TwiML. */
  async run(url: string, method: string, extra: Record<string, string> = {}): Promise<LegEnd> {
    let request: DocumentRequest = { url, method, params: this.params(extra) };
    for (let documents = 0; ; documents++) {
      if (documents >= MAX_DOCUMENTS) throw new Error(`more than ${MAX_DOCUMENTS} TwiML documents on the ${this.spec.party}'s leg: a redirect loop?`);
      const next = await this.runDocument(request);
      if (next.then === "end") return next.end;
      request = next.request;
    }
  }

  private async runDocument(request: DocumentRequest): Promise<Exclude<Next, { then: "continue" }>> {
    const xml = await this.fetchDocument(request);
    // The whole document is checked before any verb runs: a forbidden verb is reported even where a
    // <Gather> action or a <Hangup> before it means it would never run.
    const steps = this.parse(xml).map((verb) => ({ verb, runner: this.runnerFor(verb) }));
    for (const { verb, runner } of steps) {
      const next = await runner(this, verb);
      if (next.then !== "continue") return next;
    }
    // Twilio: a document that runs out of verbs ends the leg.
    return { then: "end", end: { how: "finished" } };
  }

  /**
   * The leg's next TwiML. When the line fails the caller's leg (no answer in 15 s, no connection, an HTTP
   * 5xx), Twilio requests the number's Fallback URL with the same parameters plus ErrorCode and ErrorUrl
   * (twilio.com/docs/usage/security/availability-reliability); if that fails too, the caller hears an
   * application error and the call ends. The Fallback URL belongs to the number the caller dialled, so an
   * engineer's leg has none: its failure ends that leg.
   */
  private async fetchDocument(request: DocumentRequest): Promise<string> {
    try {
      const xml = await this.call.post(request.url, request.method, request.params);
      this.documentUrl = request.url;
      return xml;
    } catch (error) {
      if (!(error instanceof WebhookError) || !error.fallsBack || this.spec.kind !== "caller") throw error;
      const fallback = `${this.call.options.target}/voice/fallback`;
      this.call.note("carrier", "note", `${error.message}: Twilio requests the Fallback URL /voice/fallback (ErrorCode ${error.errorCode})`);
      try {
        const xml = await this.call.post(fallback, "POST", { ...request.params, ErrorCode: error.errorCode, ErrorUrl: error.url });
        this.documentUrl = fallback;
        return xml;
      } catch (fallbackError) {
        this.call.note("caller", "hears", "(an application error has occurred; the call ends)");
        throw new Error(`${error.message}; the Fallback URL failed too (${(fallbackError as Error).message}): the caller heard an application error and the call ended`);
      }
    }
  }

  private parse(xml: string): Verb[] {
    try {
      return parseTwiml(xml);
    } catch (error) {
      if (error instanceof TwimlError) throw new Error(`${new URL(this.documentUrl).pathname} answered invalid TwiML: ${error.message}`);
      throw error;
    }
  }

  private runnerFor(verb: Verb): VerbRunner {
    const where = new URL(this.documentUrl).pathname;
    const forbidden = FORBIDDEN[this.spec.kind].get(verb.name);
    if (forbidden) throw new Error(`${where}: ${forbidden}`);
    const runner = VERBS.get(verb.name);
    if (!runner) throw new Error(`${where}: unsupported TwiML verb <${verb.name}>`);
    return runner;
  }
}

