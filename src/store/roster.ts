import { createHash } from "node:crypto";
import type { Redis } from "ioredis";
import { z } from "zod";
import type { RedisKeys } from "./redis.ts";
import { engineerSchema, MAX_LEVELS, type Engineer } from "../call/engineers.ts";

export const rosterSchema = z
  .array(engineerSchema)
  .min(1, "at least one engineer")
  .max(MAX_LEVELS, `at most ${MAX_LEVELS} engineers: the primary and two fallbacks`)
  .refine((engineers) => new Set(engineers.map((e) => e.number)).size === engineers.length, "each number only once");

/** Where the roster in force came from, and why: shown in the start-up log and on the console's roster page. */
export interface RosterSource {
  source: "ENGINEERS" | "console";
  reason: string;
}

/**
 * Who is engineer 1, 2 and 3, in Redis so staff can change it without a restart: the next call dials the
 * new order. Seeded from ENGINEERS the first time it is read. If Redis cannot be read the last roster this
 * process saw is used (ENGINEERS before any), so a call is never left without someone to dial.
 *
 * Beside it, a hash `roster:meta` records which ENGINEERS value it was seeded from (`seededFrom`, a digest)
 * and when staff last edited it (`editedAt`). At start-up `reconcile()` lets ENGINEERS win when it changed
 * since that seeding, since an operator who edits ENGINEERS and restarts means it; otherwise the stored
 * roster, possibly edited in the console since, stays: those edits are deliberate and more recent.
 */
export class Roster {
  private lastKnown: Engineer[];
  private readonly seedDigest: string;

  constructor(
    private readonly redis: Redis,
    private readonly keys: RedisKeys,
    readonly seed: Engineer[],
    private readonly now: () => Date = () => new Date(),
  ) {
    this.lastKnown = seed;
    this.seedDigest = digest(seed);
  }

  async current(): Promise<Engineer[]> {
    try {
      const key = this.keys.roster();
      // One round trip on every call but the very first, which seeds the roster from ENGINEERS.
      let stored = await this.redis.get(key);
      if (stored === null) {
        const seeded = await this.redis.multi().set(key, JSON.stringify(this.lastKnown), "NX").hsetnx(this.metaKey(), "seededFrom", this.seedDigest).hsetnx(this.metaKey(), "seededAt", this.now().toISOString()).get(key).exec();
        stored = (seeded?.[3]?.[1] as string | null | undefined) ?? null;
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
    await this.redis
      .multi()
      .set(this.keys.roster(), JSON.stringify(roster))
      .hset(this.metaKey(), "editedAt", this.now().toISOString())
      // A roster edited before any seeding was recorded is taken as edited over this ENGINEERS.
      .hsetnx(this.metaKey(), "seededFrom", this.seedDigest)
      .exec();
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

  /**
   * At start-up: decides between the stored roster and ENGINEERS (see the class comment), stores the choice,
   * and says which it is and why. `overridden` is the stored roster ENGINEERS replaced, when they differed;
   * `matchesEngineers` whether the roster in force is ENGINEERS as configured.
   */
  async reconcile(): Promise<RosterSource & { engineers: Engineer[]; overridden: Engineer[] | null; matchesEngineers: boolean }> {
    const { stored, unreadable, meta } = await this.read();
    if (stored !== undefined && meta.seededFrom === this.seedDigest) {
      this.lastKnown = stored;
      return { ...this.describe(stored, meta), engineers: stored, overridden: null, matchesEngineers: sameRoster(stored, this.seed) };
    }
    const at = this.now().toISOString();
    await this.redis
      .multi()
      .set(this.keys.roster(), JSON.stringify(this.seed))
      .del(this.metaKey())
      .hset(this.metaKey(), { seededFrom: this.seedDigest, seededAt: at })
      .exec();
    this.lastKnown = this.seed;
    const differed = stored !== undefined && !sameRoster(stored, this.seed);
    const reason =
      stored === undefined
        ? unreadable
          ? "the stored roster could not be read: using ENGINEERS"
          : "no roster stored yet: seeded from ENGINEERS"
        : differed
          ? "ENGINEERS changed since the roster was last seeded: using ENGINEERS"
          : "the stored roster is ENGINEERS as configured";
    return { source: "ENGINEERS", reason, engineers: this.seed, overridden: differed ? stored : null, matchesEngineers: true };
  }

  /** Where the stored roster came from, for the console. */
  async source(): Promise<RosterSource> {
    const { stored, meta } = await this.read();
    return this.describe(stored ?? this.lastKnown, meta);
  }

  private describe(stored: Engineer[], meta: Meta): RosterSource {
    if (meta.editedAt) {
      return { source: "console", reason: `edited in the console at ${meta.editedAt}; kept until ENGINEERS is changed and the line restarted` };
    }
    if (meta.seededFrom && meta.seededFrom !== this.seedDigest && !sameRoster(stored, this.seed)) {
      return { source: "ENGINEERS", reason: `seeded at ${meta.seededAt ?? "an unknown time"} from an ENGINEERS value other than this instance's: give every instance the same ENGINEERS` };
    }
    return { source: "ENGINEERS", reason: `seeded from ENGINEERS${meta.seededAt ? ` at ${meta.seededAt}` : ""}; not edited since` };
  }

  private async read(): Promise<{ stored: Engineer[] | undefined; unreadable: boolean; meta: Meta }> {
    const results = await this.redis.multi().get(this.keys.roster()).hgetall(this.metaKey()).exec();
    const [[rosterError, raw], [metaError, hash]] = results as [[Error | null, string | null], [Error | null, Record<string, string>]];
    if (rosterError) throw rosterError;
    if (metaError) throw metaError;
    const meta = metaSchema.parse(hash ?? {});
    if (raw === null) return { stored: undefined, unreadable: false, meta };
    try {
      return { stored: rosterSchema.parse(JSON.parse(raw)), unreadable: false, meta };
    } catch {
      return { stored: undefined, unreadable: true, meta };
    }
  }

  private metaKey(): string {
    return `${this.keys.roster()}:meta`;
  }
}

const metaSchema = z.object({
  seededFrom: z.string().optional(),
  seededAt: z.string().optional(),
  editedAt: z.string().optional(),
});
type Meta = z.infer<typeof metaSchema>;

/** Which ENGINEERS value a roster was seeded from, independent of spacing in the variable. */
function digest(engineers: Engineer[]): string {
  return createHash("sha256")
    .update(JSON.stringify(engineers.map((e) => [e.name ?? null, e.number])))
    .digest("hex");
}

function sameRoster(a: Engineer[], b: Engineer[]): boolean {
  return digest(a) === digest(b);
}
