import { DateTime } from "luxon";
import type { Override } from "./override.ts";
import type { ResolvedLevel } from "./resolve.ts";
import type { Schedule } from "./schema.ts";
import { levelTimelines } from "./timeline.ts";

const DAY_MS = 24 * 3_600_000;

/** An instant as staff read it, in the schedule's zone: "Wed 4 Nov 2026 13:00 GMT". */
export function localTime(ms: number, zone: string): string {
  return DateTime.fromMillis(ms, { zone }).toFormat("ccc d LLL yyyy HH:mm ZZZZ");
}

/** `emergency-line oncall`: who is on call at `at`, then each level's shifts for the next `days` days. */
export function oncallListing(schedule: Schedule, overrides: readonly Override[], levels: ResolvedLevel[], at: number, days: number): string {
  const zone = schedule.timeZone;
  const when = (iso: string | null, none: string) => (iso ? localTime(Date.parse(iso), zone) : none);
  const lines = [`On call at ${localTime(at, zone)} (${new Date(at).toISOString()}):`];
  for (const level of levels) {
    const who = level.engineer ? `${level.engineer.name} ${level.engineer.number}` : "nobody";
    const override = level.override ? ` [override ${level.override}]` : "";
    lines.push(`  level ${level.level} ${level.name}: ${who}${override}, since ${when(level.since, "long ago")}, until ${when(level.until, "further than the schedule looks")}`);
  }
  lines.push("", `The next ${days} day(s), times in ${zone}:`);
  for (const { level, name, pieces } of levelTimelines(schedule, overrides, at, at + days * DAY_MS)) {
    lines.push(`  level ${level} ${name}`);
    for (const piece of pieces) {
      const override = piece.override ? `  [override ${piece.override}]` : "";
      lines.push(`    ${localTime(piece.from, zone)} → ${localTime(piece.to, zone)}  ${piece.engineer ?? "NOBODY"}${override}`);
    }
  }
  return lines.join("\n");
}
