import type { CallEvent } from "./call-state.ts";

/**
 * How much of a call's wait the line and the network imposed: the milestone's time less the seconds the
 * engineers took to pick up before it. What is left is prompts, whispers, the rings the line chose to wait
 * (the Dial timeout plus the 5 s Twilio adds) and the carrier's own signals: the floor the line sets, which a
 * shorter prompt or ring timeout lowers and faster engineers do not.
 */
export interface Floors {
  firstRing: number | null;
  human: number | null;
  beep: number | null;
}

export function floors(events: readonly CallEvent[], timings: { firstRingAt: number | null; humanAt: number | null; beepAt: number | null }): Floors {
  const pickups: { at: number; took: number }[] = [];
  const rangAt = new Map<string, number>();
  for (const event of events) {
    if (!event.party.startsWith("engineer")) continue;
    if (event.kind === "rings" && !rangAt.has(event.party)) rangAt.set(event.party, event.t);
    if (event.kind === "answers" && rangAt.has(event.party)) pickups.push({ at: event.t, took: event.t - rangAt.get(event.party)! });
  }
  const floor = (at: number | null) => (at === null ? null : Math.round((at - pickups.filter((p) => p.at <= at).reduce((sum, p) => sum + p.took, 0)) * 10) / 10);
  return { firstRing: floor(timings.firstRingAt), human: floor(timings.humanAt), beep: floor(timings.beepAt) };
}
