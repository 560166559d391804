import type { Engineer } from "../call/engineers.ts";
import type { Schedule } from "./schema.ts";

/**
 * ENGINEERS (or the roster staff edit in the console) as the simplest schedule: each engineer is a level of
 * their own, on call all the time. An engineer without a name is known by their number.
 */
export function fixedSchedule(engineers: readonly Engineer[]): Schedule {
  const nameOf = (engineer: Engineer) => engineer.name ?? engineer.number;
  return {
    timeZone: "UTC",
    engineers: Object.fromEntries(engineers.map((engineer) => [nameOf(engineer), { number: engineer.number }])),
    levels: engineers.map((engineer, i) => ({
      level: i + 1,
      name: `engineer ${i + 1}`,
      // One engineer on a weekly rotation of one: the same person every week, since long ago.
      layers: [
        {
          engineers: [nameOf(engineer)],
          shift: { count: 1, unit: "weeks" as const },
          handover: { weekday: 1, time: { hour: 0, minute: 0 } },
          start: "2000-01-03",
          timeZone: "UTC",
          active: null,
        },
      ],
    })),
  };
}
