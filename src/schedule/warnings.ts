import { e164 } from "../call/phone.ts";
import type { Override } from "./override.ts";
import { levelPieces } from "./resolve.ts";
import type { Schedule } from "./schema.ts";

export const GAP_LOOKAHEAD_MS = 14 * 24 * 3_600_000;

/**
 * What staff should fix before it matters: an engineer whose number cannot be dialled (the line passes them
 * over), and every stretch in the next 14 days where a level has nobody on call.
 */
export function scheduleWarnings(schedule: Schedule, overrides: readonly Override[], now: number): string[] {
  const warnings: string[] = [];
  for (const [name, engineer] of Object.entries(schedule.engineers)) {
    if (!e164.safeParse(engineer.number).success) warnings.push(`engineer ${name}: number ${JSON.stringify(engineer.number)} is not an E.164 number such as +15550001001; the line will not ring them`);
  }
  for (const level of schedule.levels) {
    for (const piece of levelPieces(level, overrides, now, now + GAP_LOOKAHEAD_MS)) {
      if (piece.engineer === null) {
        warnings.push(`level ${level.level} (${level.name}) has nobody on call from ${new Date(piece.from).toISOString()} to ${new Date(piece.to).toISOString()}`);
      }
    }
  }
  return warnings;
}
