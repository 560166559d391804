import type { Override } from "./override.ts";
import { levelPieces, type Piece } from "./resolve.ts";
import type { Schedule } from "./schema.ts";

/** Each level's pieces over [from, to): the console's timeline and the CLI's listing. */
export function levelTimelines(schedule: Schedule, overrides: readonly Override[], from: number, to: number) {
  return schedule.levels.map((level) => ({ level: level.level, name: level.name, pieces: levelPieces(level, overrides, from, to) }));
}

export interface Shift {
  level: number;
  levelName: string;
  from: number;
  to: number;
  /** Whether an override put the engineer there for all or part of it. */
  override: boolean;
}

/** One engineer's time on call over [from, to), per level, back-to-back pieces joined: their calendar. */
export function shiftsOf(schedule: Schedule, overrides: readonly Override[], engineer: string, from: number, to: number): Shift[] {
  const shifts: Shift[] = [];
  for (const { level, name, pieces } of levelTimelines(schedule, overrides, from, to)) {
    let current: Shift | null = null;
    for (const piece of pieces as Piece[]) {
      if (piece.engineer !== engineer) {
        current = null;
        continue;
      }
      if (current && current.to === piece.from) {
        current.to = piece.to;
        current.override ||= piece.override !== null;
      } else {
        current = { level, levelName: name, from: piece.from, to: piece.to, override: piece.override !== null };
        shifts.push(current);
      }
    }
  }
  return shifts.sort((a, b) => a.from - b.from || a.level - b.level);
}
