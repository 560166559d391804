import type { Redis } from "ioredis";
import { z } from "zod";
import { RETENTION_SECONDS, type RedisKeys } from "./redis.ts";

export const caseNoteSchema = z.object({
  id: z.string(),
  at: z.string(),
  by: z.string(),
  byName: z.string(),
  text: z.string(),
});
export type CaseNote = z.infer<typeof caseNoteSchema>;

/**
 * Staff's private notes on a case: never sent to the partner, never in the page to responders. Kept as long
 * as the incident. Each note carries the id its form was rendered with (HSETNX): a resubmitted form, or a
 * retried request, adds it once.
 */
export class CaseNotes {
  constructor(
    private readonly redis: Redis,
    private readonly keys: RedisKeys,
  ) {}

  /** True when the note was added now, false when this id was added before. */
  async add(incidentId: string, note: CaseNote): Promise<boolean> {
    const key = this.keys.caseNotes(incidentId);
    const [[, added]] = (await this.redis.multi().hsetnx(key, note.id, JSON.stringify(note)).expire(key, RETENTION_SECONDS).exec()) as [[Error | null, number]];
    return added === 1;
  }

  /** Oldest first. */
  async list(incidentId: string): Promise<CaseNote[]> {
    const stored = await this.redis.hvals(this.keys.caseNotes(incidentId));
    return stored
      .flatMap((json) => {
        const parsed = caseNoteSchema.safeParse(JSON.parse(json));
        return parsed.success ? [parsed.data] : [];
      })
      .sort((a, b) => a.at.localeCompare(b.at));
  }
}
