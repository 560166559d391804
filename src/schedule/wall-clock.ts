import { DateTime } from "luxon";
import type { Clock } from "./schema.ts";

/**
 * Wall-clock times in a named zone, with the schedule's DST rule: a time the clocks skip happens at the first
 * instant after the gap (02:30 on the night they go forward → 03:00), a time they repeat happens at its first
 * occurrence. All zone arithmetic is luxon's; calendar dates are counted in UTC, where every day has 24 h.
 */

/** A calendar date (no zone): luxon in UTC, so adding days never meets a DST change. */
export type CalendarDate = DateTime;

export function calendarDate(iso: string): CalendarDate {
  return DateTime.fromISO(iso, { zone: "UTC" }).startOf("day");
}

/** The calendar date an instant falls on in `zone`. */
export function dateIn(ms: number, zone: string): CalendarDate {
  const local = DateTime.fromMillis(ms, { zone });
  return DateTime.fromObject({ year: local.year, month: local.month, day: local.day }, { zone: "UTC" });
}

/** A wall-clock reading as one comparable number: YYYYMMDDhhmmss. */
const wallKey = (dt: DateTime) => ((((dt.year * 100 + dt.month) * 100 + dt.day) * 100 + dt.hour) * 100 + dt.minute) * 100 + dt.second;
const NEAR_MS = 6 * 3_600_000;

// Timelines ask for the same handovers again and again; luxon's zone look-ups dominate the cost.
const memo = new Map<string, number>();

/** The instant `time` on `date` in `zone` happens (epoch ms). */
export function instantAt(date: CalendarDate, time: Clock, zone: string): number {
  const key = `${zone} ${date.year}-${date.month}-${date.day} ${time.hour}:${time.minute}`;
  let instant = memo.get(key);
  if (instant === undefined) {
    if (memo.size > 200_000) memo.clear();
    instant = computeInstant(date, time, zone);
    memo.set(key, instant);
  }
  return instant;
}

function computeInstant(date: CalendarDate, time: Clock, zone: string): number {
  const wall = { year: date.year, month: date.month, day: date.day, hour: time.hour, minute: time.minute };
  const candidate = DateTime.fromObject(wall, { zone });
  const wanted = wallKey(DateTime.fromObject(wall, { zone: "UTC" }));
  if (wallKey(candidate) === wanted) {
    // A repeated time has two instants: the earlier is the first occurrence. Only near an offset change
    // can there be two, so luxon is asked for both only then (the look-up is slow).
    const near = DateTime.fromMillis(candidate.toMillis() - NEAR_MS, { zone }).offset !== candidate.offset;
    return near ? Math.min(...candidate.getPossibleOffsets().map((dt) => dt.toMillis())) : candidate.toMillis();
  }
  // Skipped: luxon moved it forward by the gap's length; the rule wants the first instant whose wall-clock
  // time is not before the one asked for, i.e. the end of the gap. Found by bisection over luxon's answers.
  let low = candidate.toMillis() - 86_400_000;
  let high = candidate.toMillis();
  while (high - low > 1) {
    const middle = Math.floor((low + high) / 2);
    if (wallKey(DateTime.fromMillis(middle, { zone })) >= wanted) high = middle;
    else low = middle;
  }
  return high;
}
