import type { Redis } from "ioredis";
import { z } from "zod";
import { overrideSchema, type Override, type OverrideRequest } from "../schedule/override.ts";
import type { RedisKeys } from "./redis.ts";

/** Overrides that ended longer ago than this are dropped when the list is read: history lives in the trail. */
const KEEP_ENDED_MS = 90 * 24 * 3_600_000;
const TRAIL_LENGTH = 1000;

export const overrideChangeSchema = z.object({ action: z.enum(["created", "deleted"]), by: z.string(), at: z.string(), override: overrideSchema });
export type OverrideChange = z.infer<typeof overrideChangeSchema>;

/**
 * On-call overrides in Redis: staff put someone on call at a level for [from, to), beating the schedule.
 * Each change is kept in a trail (who, when, what). `known()` is the list as this process last read it, for
 * answers that must not wait on Redis (the line's fallbacks).
 */
export class Overrides {
  private lastKnown: Override[] = [];

  constructor(
    private readonly redis: Redis,
    private readonly keys: RedisKeys,
    private readonly now: () => Date = () => new Date(),
  ) {}

  async list(): Promise<Override[]> {
    const stored = await this.redis.hgetall(this.keys.overrides());
    const all = Object.values(stored).map((json) => overrideSchema.parse(JSON.parse(json)));
    const cutoff = this.now().getTime() - KEEP_ENDED_MS;
    const ended = all.filter((o) => Date.parse(o.to) < cutoff);
    if (ended.length) await this.redis.hdel(this.keys.overrides(), ...ended.map((o) => o.id));
    this.lastKnown = all.filter((o) => Date.parse(o.to) >= cutoff).sort((a, b) => a.seq - b.seq);
    return this.lastKnown;
  }

  /** Without I/O: the overrides as this process last read them. */
  known(): Override[] {
    return this.lastKnown;
  }

  async create(request: OverrideRequest, by: string): Promise<Override> {
    const seq = await this.redis.incr(this.keys.overrideSeq());
    const override: Override = {
      id: `ovr-${seq}`,
      seq,
      level: request.level,
      engineer: request.engineer,
      from: new Date(request.from).toISOString(),
      to: new Date(request.to).toISOString(),
      createdBy: by,
      createdAt: this.now().toISOString(),
    };
    await this.redis
      .multi()
      .hset(this.keys.overrides(), override.id, JSON.stringify(override))
      .lpush(this.keys.overrideChanges(), JSON.stringify({ action: "created", by, at: override.createdAt, override } satisfies OverrideChange))
      .ltrim(this.keys.overrideChanges(), 0, TRAIL_LENGTH - 1)
      .exec();
    this.lastKnown = [...this.lastKnown.filter((o) => o.id !== override.id), override];
    return override;
  }

  /** Removes an override; null when there is none with that id. */
  async delete(id: string, by: string): Promise<Override | null> {
    const json = await this.redis.hget(this.keys.overrides(), id);
    if (json === null) return null;
    const override = overrideSchema.parse(JSON.parse(json));
    const change: OverrideChange = { action: "deleted", by, at: this.now().toISOString(), override };
    const [[, removed] = []] = (await this.redis
      .multi()
      .hdel(this.keys.overrides(), id)
      .lpush(this.keys.overrideChanges(), JSON.stringify(change))
      .ltrim(this.keys.overrideChanges(), 0, TRAIL_LENGTH - 1)
      .exec()) ?? [];
    this.lastKnown = this.lastKnown.filter((o) => o.id !== id);
    return removed === 1 ? override : null;
  }

  /** The newest changes first. */
  async changes(limit = 50): Promise<OverrideChange[]> {
    const entries = await this.redis.lrange(this.keys.overrideChanges(), 0, limit - 1);
    return entries.map((json) => overrideChangeSchema.parse(JSON.parse(json)));
  }
}
