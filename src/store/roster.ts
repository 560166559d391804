import type { Redis } from "ioredis";
import { z } from "zod";
import type { RedisKeys } from "./redis.ts";
import { engineerSchema, MAX_LEVELS, type Engineer } from "../call/engineers.ts";

export const rosterSchema = z
  .array(engineerSchema)
  .min(1, "at least one engineer")
  .max(MAX_LEVELS, `at most ${MAX_LEVELS} engineers: the primary and two fallbacks`)
  .refine((engineers) => new Set(engineers.map((e) => e.number)).size === engineers.length, "each number only once");

/**
 * Who is engineer 1, 2 and 3, in Redis so staff can change it without a restart: the next call dials the
 * new order. Seeded from ENGINEERS the first time it is read. If Redis cannot be read the last roster this
 * process saw is used (ENGINEERS before any), so a call is never left without someone to dial.
 */
export class Roster {
  private lastKnown: Engineer[];

  constructor(
    private readonly redis: Redis,
    private readonly keys: RedisKeys,
    seed: Engineer[],
  ) {
    this.lastKnown = seed;
  }

  async current(): Promise<Engineer[]> {
    try {
      const key = this.keys.roster();
      // One round trip on every call but the very first, which seeds the roster from ENGINEERS.
      let stored = await this.redis.get(key);
      if (stored === null) {
        await this.redis.set(key, JSON.stringify(this.lastKnown), "NX");
        stored = await this.redis.get(key);
      }
      if (stored) this.lastKnown = rosterSchema.parse(JSON.parse(stored));
    } catch {
      // Keep the last roster known; the caller must still reach someone.
    }
    return this.lastKnown;
  }

  /** Without I/O: the roster as this process last saw it, for answers that must not wait on Redis. */
  known(): Engineer[] {
    return this.lastKnown;
  }

  /** Replaces the roster; throws a zod error naming the row and field that are wrong. */
  async replace(engineers: unknown): Promise<Engineer[]> {
    const roster = rosterSchema.parse(engineers);
    await this.redis.set(this.keys.roster(), JSON.stringify(roster));
    this.lastKnown = roster;
    return roster;
  }

  /** Moves the engineer at `level` (1-based) one place up. */
  async moveUp(level: number): Promise<Engineer[]> {
    const roster = [...(await this.current())];
    if (level < 2 || level > roster.length) return roster;
    [roster[level - 2], roster[level - 1]] = [roster[level - 1]!, roster[level - 2]!];
    return this.replace(roster);
  }
}
