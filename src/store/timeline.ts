import type { Redis } from "ioredis";
import { timelineEventSchema, timelineKey, type TimelineEvent } from "../call/timeline-events.ts";
import type { Journal } from "./journal.ts";
import type { WriteGuard } from "./write-ops.ts";
import type { RedisKeys } from "./redis.ts";

/**
 * A call's timeline: a Redis list, appended once per step (`timelineKey`): Twilio replays webhooks, and the
 * timeline must read like the call, once. Writes go through the journal, so they are spooled while Redis is away.
 */
export class Timeline {
  constructor(
    private readonly redis: Redis,
    private readonly keys: RedisKeys,
    private readonly journal: Journal,
  ) {}

  /** True when this was the first time the step was recorded. `guard`: only if the session holds it. */
  async append(callSid: string, event: TimelineEvent, guard?: WriteGuard): Promise<boolean> {
    return this.journal.write({ op: "timeline", callSid, key: timelineKey(event), event, ...(guard && { guard }) });
  }

  async read(callSid: string): Promise<TimelineEvent[]> {
    const raw = await this.redis.lrange(this.keys.timeline(callSid), 0, -1);
    return [...raw.map((item) => timelineEventSchema.parse(JSON.parse(item))), ...this.journal.spooledTimeline(callSid)];
  }
}
