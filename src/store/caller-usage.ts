import type { Redis } from "ioredis";
import type { RedisKeys } from "./redis.ts";

const DAY_MS = 24 * 3600 * 1000;

/**
 * How many calls a number made in the last 24 hours (a rolling window, not a calendar day). Past
 * MISUSE_CALLS_PER_DAY the call is still put through, since it may be a real outage, but its incident is
 * flagged for staff. A failure to count never stops a call: the count is then unknown (null).
 */
export class CallerUsage {
  constructor(
    private readonly redis: Redis,
    private readonly keys: RedisKeys,
  ) {}

  async record(from: string, callSid: string, now: Date): Promise<number | null> {
    const key = this.keys.caller(from);
    try {
      const results = await this.redis
        .multi()
        .zadd(key, "NX", now.getTime(), callSid)
        .zremrangebyscore(key, "-inf", now.getTime() - DAY_MS)
        .zcard(key)
        .pexpire(key, DAY_MS)
        .exec();
      const count = results?.[2]?.[1];
      return typeof count === "number" ? count : null;
    } catch {
      return null;
    }
  }
}
