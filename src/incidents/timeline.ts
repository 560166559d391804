import type { Redis } from "ioredis";
import { z } from "zod";
import { RETENTION_SECONDS, type RedisKeys } from "../redis.ts";

export const timelineEventSchema = z.object({
  at: z.iso.datetime(),
  event: z.string(),
  text: z.string(),
  level: z.number().int().optional(),
});
export type TimelineEvent = z.infer<typeof timelineEventSchema>;

// Appends an event unless an event with the same key was appended before: Twilio replays webhooks, and the
// timeline of a call must read like the call, once.
const APPEND_ONCE = `
if redis.call('HSETNX', KEYS[1], 'seen:' .. ARGV[1], 1) == 1 then
  redis.call('RPUSH', KEYS[2], ARGV[2])
  redis.call('EXPIRE', KEYS[2], ARGV[3])
  return 1
end
return 0`;

export class Timeline {
  constructor(
    private readonly redis: Redis,
    private readonly keys: RedisKeys,
  ) {}

  /** `key` names the step (e.g. "dial:2"); the first report of a step wins. */
  async append(callSid: string, key: string, event: TimelineEvent): Promise<boolean> {
    const added = await this.redis.eval(
      APPEND_ONCE,
      2,
      this.keys.call(callSid),
      this.keys.timeline(callSid),
      key,
      JSON.stringify(event),
      RETENTION_SECONDS,
    );
    return added === 1;
  }

  async read(callSid: string): Promise<TimelineEvent[]> {
    const raw = await this.redis.lrange(this.keys.timeline(callSid), 0, -1);
    return raw.map((item) => timelineEventSchema.parse(JSON.parse(item)));
  }
}
