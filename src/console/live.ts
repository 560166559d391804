import type { CallRecord } from "../call/records.ts";
import type { TimelineEvent } from "../call/timeline-events.ts";

/** Who a call in progress is with now, from the session (stage, level, attempts) and its timeline. */
export interface NowOnCall {
  state: "ringing" | "whisper" | "talking";
  level: number;
  engineer: string;
  number: string | null;
  /** When this state began: the dial, the pick-up, the acceptance. */
  since: string | null;
}

export function nowOnCall(call: CallRecord, timeline: TimelineEvent[]): NowOnCall | null {
  if (!isLive(call)) return null;
  const level = call.stage === "connected" ? (call.acceptedLevel ?? call.level) : call.level;
  if ((call.stage !== "hunting" && call.stage !== "connected") || !level) return null;
  const at = (event: TimelineEvent["event"]) => [...timeline].reverse().find((e) => e.event === event && "level" in e && e.level === level)?.at ?? null;
  const engineer = call.meta.engineers[level - 1];
  const who = { level, engineer: engineer?.name ?? engineer?.number ?? `engineer ${level}`, number: engineer?.number ?? null };
  if (call.stage === "connected") return { ...who, state: "talking", since: at("engineer.accepted") };
  // The leg at this level has ended: the next level is about to be dialled.
  if (call.attempts.some((a) => a.level === level)) return null;
  if (call.answeredLevels.includes(level)) return { ...who, state: "whisper", since: at("engineer.answered") };
  return { ...who, state: "ringing", since: at("engineer.dialled") };
}

/** How long after it started a call not seen to end still counts as in progress. */
export const LIVE_WINDOW_MS = 4 * 3600_000;

/** Still on the line: no hang-up seen, and started recently (a session whose end never came is not live forever). */
export function isLive(call: CallRecord, now = new Date()): boolean {
  return !call.endedAt && call.stage !== "ended" && (call.outcome === null || call.stage === "connected") && now.getTime() - Date.parse(call.meta.startedAt) < LIVE_WINDOW_MS;
}

export const NOW_WORDS: Record<NowOnCall["state"], string> = { ringing: "ringing", whisper: "picked up, hearing the whisper:", talking: "talking with" };
