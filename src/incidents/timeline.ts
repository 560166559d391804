import type { Redis } from "ioredis";
import { z } from "zod";
import type { RedisKeys } from "../redis.ts";
import type { Journal } from "./journal.ts";

export const timelineEventSchema = z.object({
  at: z.iso.datetime(),
  event: z.string(),
  text: z.string(),
  level: z.number().int().optional(),
});
export type TimelineEvent = z.infer<typeof timelineEventSchema>;

/**
 * A call's timeline: a Redis list, appended once per step. `key` names the step (e.g. "dial:2"); Twilio
 * replays webhooks, and the timeline must read like the call, once.
 */
export class Timeline {
  constructor(
    private readonly redis: Redis,
    private readonly keys: RedisKeys,
    private readonly journal: Journal,
  ) {}

  async append(callSid: string, key: string, event: TimelineEvent): Promise<boolean> {
    return this.journal.write({ op: "timeline", callSid, key, event });
  }

  async read(callSid: string): Promise<TimelineEvent[]> {
    const raw = await this.redis.lrange(this.keys.timeline(callSid), 0, -1);
    return [...raw.map((item) => timelineEventSchema.parse(JSON.parse(item))), ...this.journal.spooledTimeline(callSid)];
  }
}
