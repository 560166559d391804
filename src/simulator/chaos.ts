/**
 * How unkind the carrier is on one run of a call. Twilio promises no order between a verb's action after a
 * hang-up, the status callback, the recording status callback and the transcription callback, and it
 * retries webhooks (twilio.com/docs/usage/webhooks/webhooks-connection-overrides): a line must reach the
 * same outcome whatever the order and however often each arrives. Chaos runs try every order (or a seeded
 * subset) with every webhook sent twice.
 */

/** The callbacks that come after the call, in the order they are sent when nothing is permuted. */
export const CALLBACK_KINDS = ["action", "status", "recording-status", "transcription"] as const;
export type CallbackKind = (typeof CALLBACK_KINDS)[number];

export const CALLBACK_NAMES: Record<CallbackKind, string> = {
  action: "action after the hang-up",
  status: "status callback",
  "recording-status": "recording status",
  transcription: "transcription",
};

export interface Variation {
  /** The end-of-call callbacks go out in this order of kinds; null: in the order of their virtual times. */
  order: readonly CallbackKind[] | null;
  /** Every webhook is sent twice, the second a replay with the same parameters and idempotency token. */
  replay: boolean;
  /** The Record action leaves RecordingSid out: Twilio documents only RecordingUrl, RecordingDuration and Digits for it. */
  omitRecordingSid: boolean;
  /**
   * DialCallStatus on the Dial action when the caller hung up while the engineer's phone rang. Twilio's
   * <Dial> docs define `canceled` as a dialled call ended before it was answered, but say nothing of this
   * case; callers report `no-answer` too, so chaos runs send both.
   */
  hangUpDialStatus: "canceled" | "no-answer";
}

export const PLAIN: Variation = { order: null, replay: false, omitRecordingSid: false, hangUpDialStatus: "canceled" };

export function permutations<T>(items: readonly T[]): T[][] {
  if (items.length <= 1) return [[...items]];
  return items.flatMap((item, i) => permutations([...items.slice(0, i), ...items.slice(i + 1)]).map((rest) => [item, ...rest]));
}

/** mulberry32: a small seeded generator, so `--seed N` picks the same subset of orders every time. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** The order kinds are sent in on a call that produced only `present`. */
const restrict = (order: readonly CallbackKind[], present: readonly CallbackKind[]) => order.filter((kind) => present.includes(kind));

/**
 * The orders a scenario still has to run after its first run, given the callback kinds each of its calls
 * produced then: one global order per distinct combination of the calls' own orders, so a call with only a
 * status callback runs once while one with four callbacks runs in all 24 orders. `pick` "all", or at most
 * that many runs in all (the first included), drawn by the seeded generator.
 */
export function remainingOrders(first: readonly CallbackKind[], presentPerCall: readonly (readonly CallbackKind[])[], pick: "all" | number, seed: number): CallbackKind[][] {
  const key = (order: readonly CallbackKind[]) => presentPerCall.map((present) => restrict(order, present).join(">")).join("|");
  const seen = new Set([key(first)]);
  const distinct: CallbackKind[][] = [];
  for (const order of permutations(CALLBACK_KINDS)) {
    if (seen.has(key(order))) continue;
    seen.add(key(order));
    distinct.push(order);
  }
  if (pick === "all" || distinct.length <= pick - 1) return distinct;
  const random = seededRandom(seed);
  // A partial Fisher-Yates shuffle: the first pick-1 of a seeded shuffle, in their original order.
  const indexes = distinct.map((_, i) => i);
  for (let i = 0; i < pick - 1; i++) {
    const j = i + Math.floor(random() * (indexes.length - i));
    [indexes[i], indexes[j]] = [indexes[j]!, indexes[i]!];
  }
  return indexes.slice(0, pick - 1).sort((a, b) => a - b).map((i) => distinct[i]!);
}

/** The chaos variation of a scenario's `index`-th run, its callbacks in `order`. */
export function chaosVariation(order: readonly CallbackKind[], index: number): Variation {
  // Alternate the two readings the docs leave open, so that runs with two or more orders see both.
  const odd = index % 2 === 1;
  return { order, replay: true, omitRecordingSid: odd, hangUpDialStatus: odd ? "no-answer" : "canceled" };
}

/** How the report names a chaos run: which order of how many (of the callbacks `present`), and what else was unkind. */
export function chaosLabel(variation: Variation, index: number, total: number, present: readonly CallbackKind[]): string {
  const extras = [
    variation.replay ? "every webhook twice" : "",
    variation.omitRecordingSid ? "Record action without RecordingSid" : "",
    variation.hangUpDialStatus !== "canceled" ? `Dial action after a hang-up says ${variation.hangUpDialStatus}` : "",
  ].filter(Boolean);
  const order = restrict(variation.order ?? CALLBACK_KINDS, present);
  return `order ${index + 1} of ${total}: ${order.map((kind) => CALLBACK_NAMES[kind]).join(" → ") || "no callbacks"}${extras.length ? `; ${extras.join("; ")}` : ""}`;
}
