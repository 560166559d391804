import type { Redis } from "ioredis";
import { isWithheld } from "../call/phone.ts";
import type { RedisKeys } from "./redis.ts";
import { withScripts } from "./scripts.ts";

const DAY_MS = 24 * 3600 * 1000;

export interface CallerUse {
  /** Calls from this number in the 24 hours up to this one, this one included; null when not counted. */
  callsInLastDay: number | null;
  /** The first call of the number's group when it is another call: this one pages under its incident. */
  groupedWithCall: string | null;
}

const UNCOUNTED: CallerUse = { callsInLastDay: null, groupedWithCall: null };

/**
 * How many calls a number made in the last 24 hours (a rolling window, not a calendar day), and which group
 * of calls this one belongs to. Past MISUSE_CALLS_PER_DAY the call is still put through, since it may be a
 * real outage, but its incident is flagged for staff; calls within MISUSE_GROUP_MINUTES of a group's first
 * call page under the first call's incident. A withheld number is many callers, so it is neither counted
 * nor grouped. A failure to count never stops a call: it is then uncounted and pages on its own.
 */
export class CallerUsage {
  private readonly redis: Redis;

  constructor(
    redis: Redis,
    private readonly keys: RedisKeys,
    private readonly groupWindowMs: number,
  ) {
    this.redis = withScripts(redis);
  }

  /** Calls (and urgent mail) counted for this number in the 24 hours before `now`: what misuse is judged on. */
  async callsInLastDay(from: string, now: Date): Promise<number> {
    return this.redis.zcount(this.keys.caller(from), now.getTime() - DAY_MS, "+inf");
  }

  async record(from: string, callSid: string, now: Date): Promise<CallerUse> {
    if (isWithheld(from)) return UNCOUNTED;
    try {
      const [count, first] = await this.redis.recordCaller(this.keys.caller(from), this.keys.callerGroup(from), callSid, now.getTime(), DAY_MS, this.groupWindowMs);
      return { callsInLastDay: count, groupedWithCall: first === callSid ? null : first };
    } catch {
      return UNCOUNTED;
    }
  }
}
