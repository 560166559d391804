import { z } from "zod";
import { MAX_LEVELS } from "../call/engineers.ts";

/** An instant with its offset: "2026-11-02T09:00:00+01:00" or "…Z". A bare local time would be a guess. */
export const instantWithOffset = z.iso.datetime({ offset: true, error: "an ISO 8601 date-time with an offset, e.g. 2026-11-02T09:00:00+00:00" });

/** What staff send to put someone on call at a level for [from, to): it beats every layer of that level. */
export const overrideRequestSchema = z
  .object({
    level: z.union([z.number(), z.string().regex(/^\d+$/, "a level number").transform(Number)]).pipe(z.number().int().min(1).max(MAX_LEVELS)),
    engineer: z.string().min(1, "an engineer's name from the schedule"),
    from: instantWithOffset,
    to: instantWithOffset,
  })
  .refine((o) => Date.parse(o.to) > Date.parse(o.from), { path: ["to"], message: "must be after from" });
export type OverrideRequest = z.infer<typeof overrideRequestSchema>;

/** An override as stored: who made it and when, so every change can be traced. */
export const overrideSchema = z.object({
  id: z.string(),
  /** Order of creation (a Redis counter): the tie-break when two were made in the same millisecond. */
  seq: z.number().int(),
  level: z.number().int(),
  engineer: z.string(),
  from: z.string(),
  to: z.string(),
  createdBy: z.string(),
  createdAt: z.string(),
});
export type Override = z.infer<typeof overrideSchema>;

/** Newest first: where two overrides overlap, the newest wins. */
export function newestFirst(a: Override, b: Override): number {
  return b.createdAt.localeCompare(a.createdAt) || b.seq - a.seq;
}
