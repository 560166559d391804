import type { CallState, Party } from "../call-state.ts";
import type { CallerBehaviour } from "../scenario.ts";
import type { Verb } from "../twiml-parser.ts";

/**
 * What a verb is to the carrier: a function of the leg it runs on and its TwiML element, answering what
 * happens next. The leg runner (leg.ts) implements LegContext; verbs know it only through this interface.
 */

export type LegKind = "caller" | "engineer";

export interface LegSpec {
  kind: LegKind;
  party: Party;
  sid: string;
  /** Twilio's parameters on every request of this leg; a verb adds its own (Digits, Recording...). */
  params: Record<string, string>;
  /** The keys the party presses at the next <Gather>; "" presses none. */
  keys: () => string;
  /** What the party says at a <Record>; none: they say nothing. */
  voicemail?: CallerBehaviour["voicemail"];
}

/** How a leg's TwiML ended: it ran out of verbs, or a <Hangup> or <Reject> ended it. Whoever opened the leg decides what that means. */
export type LegEnd = { how: "finished" } | { how: "hangup" } | { how: "reject"; reason: string };

/** A request for the leg's next TwiML document (a verb's action, a redirect). */
export interface DocumentRequest {
  url: string;
  method: string;
  params: Record<string, string>;
}

/** What happens after a verb: the next verb of the document runs, a new document is requested, or the leg ends. */
export type Next = { then: "continue" } | { then: "request"; request: DocumentRequest } | { then: "end"; end: LegEnd };

/** What a verb sees of the leg it runs on. */
export interface LegContext {
  readonly call: CallState;
  readonly kind: LegKind;
  readonly party: Party;
  readonly sid: string;
  readonly voicemail: LegSpec["voicemail"];
  keys(): string;
  params(extra?: Record<string, string>): Record<string, string>;
  /** A URL of the current document (an action, a callback), absolute; none means the document's own URL. */
  resolve(url: string | undefined): string;
  /** The leg continues with the document a verb's action (or redirect) URL answers, requested by the verb's method. */
  action(verb: Verb, url: string | undefined, extra?: Record<string, string>): Next;
  /** The party hung up during a verb: Twilio still requests its action (after the call), and ignores the TwiML it answers. */
  actionAfterHangUp(verb: Verb, extra: Record<string, string>): void;
  /** A leg a <Dial> on this one opens to an engineer's phone, ready to run its first document. */
  dialled(spec: Omit<LegSpec, "kind">): { run(url: string, method: string): Promise<LegEnd> };
}

/** One verb's execution on a leg. */
export type VerbRunner = (leg: LegContext, verb: Verb) => Next | Promise<Next>;

export const CONTINUE: Next = { then: "continue" };

export const end = (end: LegEnd): Next => ({ then: "end", end });
