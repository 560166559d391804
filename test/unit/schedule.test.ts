import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import type { Override } from "../../src/schedule/override.ts";
import { levelsForCall, resolve } from "../../src/schedule/resolve.ts";
import { parseSchedule, ScheduleError } from "../../src/schedule/schema.ts";
import { scheduleWarnings } from "../../src/schedule/warnings.ts";

const ENGINEERS = `
engineers:
  Ada:   { number: "+15550001001", email: ada@platform.example }
  Grace: { number: "+15550001002" }
  Linus: { number: "+15550001003", timeZone: America/New_York }
`;

/** A schedule with one level whose layers are given as YAML flow mappings. */
function oneLevel(zone: string, ...layers: string[]) {
  return parseSchedule(`timeZone: ${zone}\n${ENGINEERS}levels:\n  - name: primary\n    layers:\n${layers.map((l) => `      - ${l}\n`).join("")}`, "test.yaml");
}

const at = (iso: string) => Date.parse(iso);
const who = (schedule: ReturnType<typeof oneLevel>, iso: string, overrides: Override[] = []) => resolve(schedule, overrides, at(iso))[0]!;

describe("handovers across daylight saving changes", () => {
  it("Europe/London, clocks go back: a 01:30 handover happens once, at the first 01:30 (BST)", () => {
    const schedule = oneLevel("Europe/London", `{ engineers: [Ada, Grace], shift: 1 day, handover: "01:30", start: 2026-10-24 }`);
    expect(who(schedule, "2026-10-25T00:29:59Z").engineer?.name).toBe("Ada");
    const second = who(schedule, "2026-10-25T00:30:00Z"); // 01:30 BST, the first 01:30
    expect(second).toMatchObject({ engineer: { name: "Grace" }, since: "2026-10-25T00:30:00.000Z", until: "2026-10-26T01:30:00.000Z" });
    // The second 01:30 (GMT) an hour later hands nothing over.
    expect(who(schedule, "2026-10-25T01:45:00Z")).toEqual(second);
  });

  it("America/New_York, clocks go back: a 01:30 handover happens at 01:30 EDT, not again at 01:30 EST", () => {
    const schedule = oneLevel("America/New_York", `{ engineers: [Ada, Grace], shift: 1 day, handover: "01:30", start: 2026-10-31 }`);
    expect(who(schedule, "2026-11-01T05:30:00Z")).toMatchObject({ engineer: { name: "Grace" }, since: "2026-11-01T05:30:00.000Z", until: "2026-11-02T06:30:00.000Z" });
    expect(who(schedule, "2026-11-01T06:31:00Z").engineer?.name).toBe("Grace");
  });

  it("America/New_York, clocks go forward: a 02:30 handover happens at 03:00 EDT", () => {
    const schedule = oneLevel("America/New_York", `{ engineers: [Ada, Grace], shift: 1 day, handover: "02:30", start: 2026-03-07 }`);
    // 03:00 EDT is 07:00Z; 02:30 EST the day before was 07:30Z.
    expect(who(schedule, "2026-03-08T06:59:59Z")).toMatchObject({ engineer: { name: "Ada" }, since: "2026-03-07T07:30:00.000Z", until: "2026-03-08T07:00:00.000Z" });
    expect(who(schedule, "2026-03-08T07:00:00Z")).toMatchObject({ engineer: { name: "Grace" }, until: "2026-03-09T06:30:00.000Z" });
  });

  it("Europe/London, clocks go forward: a 01:30 handover happens at 02:00 BST", () => {
    const schedule = oneLevel("Europe/London", `{ engineers: [Ada, Grace], shift: 1 day, handover: "01:30", start: 2026-03-28 }`);
    expect(who(schedule, "2026-03-29T00:59:59Z").engineer?.name).toBe("Ada");
    expect(who(schedule, "2026-03-29T01:00:00Z")).toMatchObject({ engineer: { name: "Grace" }, since: "2026-03-29T01:00:00.000Z" });
  });

  it("keeps a weekly Monday 09:00 handover at 09:00 local on both sides of the change", () => {
    const schedule = oneLevel("Europe/London", `{ engineers: [Ada, Grace, Linus], shift: 1 week, handover: Monday 09:00, start: 2026-10-19 }`);
    expect(who(schedule, "2026-10-20T12:00:00Z")).toMatchObject({ engineer: { name: "Ada" }, since: "2026-10-19T08:00:00.000Z", until: "2026-10-26T09:00:00.000Z" });
  });
});

describe("rotations", () => {
  it("a shift that spans New Year goes on into the new year, and the rotation keeps counting", () => {
    const schedule = oneLevel("Europe/London", `{ engineers: [Ada, Grace, Linus], shift: 1 week, handover: Monday 09:00, start: 2026-12-14 }`);
    // Shifts: Ada 14 Dec, Grace 21 Dec, Linus 28 Dec 09:00 to 4 Jan 09:00, Ada again.
    expect(who(schedule, "2027-01-01T00:00:00Z")).toMatchObject({ engineer: { name: "Linus" }, since: "2026-12-28T09:00:00.000Z", until: "2027-01-04T09:00:00.000Z" });
    expect(who(schedule, "2027-01-04T09:00:00Z").engineer?.name).toBe("Ada");
  });

  it("starts weekly rotations at the first handover on or after the start date; before it the layer has nobody", () => {
    // 2026-11-04 is a Wednesday: the first shift begins Monday 9 November.
    const schedule = oneLevel("Europe/London", `{ engineers: [Grace, Ada], shift: 2 weeks, handover: Monday 09:00, start: 2026-11-04 }`);
    expect(who(schedule, "2026-11-08T12:00:00Z")).toMatchObject({ engineer: null, until: "2026-11-09T09:00:00.000Z" });
    expect(who(schedule, "2026-11-20T12:00:00Z")).toMatchObject({ engineer: { name: "Grace" }, until: "2026-11-23T09:00:00.000Z" });
  });

  it("shifts of N hours start at 00:00 on the start date in the layer's zone and last N elapsed hours", () => {
    const schedule = oneLevel("Europe/London", `{ engineers: [Ada, Grace], shift: 12 hours, start: 2026-10-24 }`);
    // 00:00 BST on 24 October is 23:00Z the day before; the clocks going back does not stretch a shift.
    expect(who(schedule, "2026-10-23T23:00:00Z")).toMatchObject({ engineer: { name: "Ada" }, since: "2026-10-23T23:00:00.000Z", until: "2026-10-24T11:00:00.000Z" });
    expect(who(schedule, "2026-10-25T11:30:00Z")).toMatchObject({ engineer: { name: "Grace" }, since: "2026-10-25T11:00:00.000Z" });
  });

  it("follows the sun: at the hand-off instant the night layer takes over, and its Friday night runs into Saturday", () => {
    const schedule = oneLevel(
      "Europe/London",
      `{ engineers: [Ada], shift: 1 week, handover: Monday 09:00, start: 2026-11-02 }`,
      `{ engineers: [Linus], shift: 1 day, handover: "20:00", start: 2026-11-02, timeZone: America/New_York, active: { days: [Mon, Tue, Wed, Thu, Fri], from: "20:00", to: "08:00" } }`,
    );
    // Tuesday 10 Nov 2026, 20:00 in New York (EST) is 01:00Z on Wednesday.
    expect(who(schedule, "2026-11-11T00:59:59.999Z")).toMatchObject({ engineer: { name: "Ada" }, until: "2026-11-11T01:00:00.000Z" });
    expect(who(schedule, "2026-11-11T01:00:00Z")).toMatchObject({ engineer: { name: "Linus" }, since: "2026-11-11T01:00:00.000Z", until: "2026-11-11T13:00:00.000Z" });
    // Friday 13 Nov 20:00 to Saturday 08:00 New York time is Linus's; Saturday night is not.
    expect(who(schedule, "2026-11-14T12:59:00Z").engineer?.name).toBe("Linus");
    expect(who(schedule, "2026-11-15T02:00:00Z").engineer?.name).toBe("Ada");
  });
});

describe("overrides", () => {
  const weekly = () => oneLevel("Europe/London", `{ engineers: [Ada, Grace], shift: 1 week, handover: Monday 09:00, start: 2026-11-02 }`);
  const override = (id: string, seq: number, engineer: string, from: string, to: string): Override => ({ id, seq, level: 1, engineer, from, to, createdBy: "api", createdAt: `2026-11-01T00:00:0${seq}.000Z` });

  it("an override starting mid-shift beats the rotation for [from, to), then the shift resumes", () => {
    const overrides = [override("o1", 1, "Linus", "2026-11-04T12:00:00+00:00", "2026-11-05T12:00:00+00:00")];
    expect(who(weekly(), "2026-11-04T11:59:59Z", overrides)).toMatchObject({ engineer: { name: "Ada" }, since: "2026-11-02T09:00:00.000Z", until: "2026-11-04T12:00:00.000Z" });
    expect(who(weekly(), "2026-11-04T12:00:00Z", overrides)).toMatchObject({ engineer: { name: "Linus", number: "+15550001003" }, since: "2026-11-04T12:00:00.000Z", until: "2026-11-05T12:00:00.000Z", override: "o1" });
    expect(who(weekly(), "2026-11-05T12:00:00Z", overrides)).toMatchObject({ engineer: { name: "Ada" }, since: "2026-11-05T12:00:00.000Z", until: "2026-11-09T09:00:00.000Z" });
  });

  it("where two overrides overlap, the newest wins", () => {
    const overrides = [override("o2", 2, "Grace", "2026-11-04T18:00:00Z", "2026-11-04T20:00:00Z"), override("o1", 1, "Linus", "2026-11-04T12:00:00Z", "2026-11-05T12:00:00Z")];
    expect(who(weekly(), "2026-11-04T19:00:00Z", overrides)).toMatchObject({ engineer: { name: "Grace" }, until: "2026-11-04T20:00:00.000Z" });
    expect(who(weekly(), "2026-11-04T20:00:00Z", overrides)).toMatchObject({ engineer: { name: "Linus" }, until: "2026-11-05T12:00:00.000Z" });
  });
});

describe("levels for a call", () => {
  const three = () =>
    parseSchedule(
      `timeZone: Europe/London\n${ENGINEERS}levels:
  - { name: primary, layers: [ { engineers: [Ada, Grace, Linus], shift: 1 week, handover: Monday 09:00, start: 2026-11-02 } ] }
  - { name: secondary, layers: [ { engineers: [Ada, Grace, Linus], shift: 1 week, handover: Monday 09:00, start: 2026-11-09 } ] }
  - { name: manager, layers: [ { engineers: [Grace], shift: 1 week, handover: Monday 09:00, start: 2027-01-04 } ] }
`,
      "three.yaml",
    );

  it("never rings a person twice: a level whose engineer was already rung takes the next in its rotation", () => {
    // Week of 9 Nov: primary Grace; secondary starts that week with Ada. Week of 16 Nov: primary Linus, secondary Grace.
    expect(levelsForCall(three(), [], at("2026-11-10T12:00:00Z")).map((l) => l.engineer.name)).toEqual(["Grace", "Ada"]);
    const overrides: Override[] = [{ id: "o1", seq: 1, level: 2, engineer: "Grace", from: "2026-11-10T00:00:00Z", to: "2026-11-11T00:00:00Z", createdBy: "api", createdAt: "2026-11-01T00:00:00Z" }];
    // Grace is primary and the override puts her on secondary too: secondary rings Ada (its rotation's engineer) instead.
    expect(levelsForCall(three(), overrides, at("2026-11-10T12:00:00Z")).map((l) => [l.level, l.engineer.name])).toEqual([
      [1, "Grace"],
      [2, "Ada"],
    ]);
  });

  it("skips a level with nobody on call, and returns no one when nobody is on call at all", () => {
    const schedule = three();
    const levels = resolve(schedule, [], at("2026-11-10T12:00:00Z"));
    expect(levels[2]).toMatchObject({ level: 3, name: "manager", engineer: null, until: "2027-01-04T09:00:00.000Z" });
    expect(levelsForCall(schedule, [], at("2026-11-10T12:00:00Z")).map((l) => l.level)).toEqual([1, 2]);
    expect(levelsForCall(schedule, [], at("2026-10-01T12:00:00Z"))).toEqual([]);
  });

  it("passes over an engineer whose number cannot be dialled, and warns about it and about gaps", () => {
    const schedule = parseSchedule(
      `engineers: { Ada: { number: "+15550001001" }, Bob: { number: "555-0101" } }
levels: [ { name: primary, layers: [ { engineers: [Bob, Ada], shift: 1 day, handover: "09:00", start: 2026-11-02 } ] } ]`,
      "bad-number.yaml",
    );
    expect(levelsForCall(schedule, [], at("2026-11-02T12:00:00Z")).map((l) => l.engineer.name)).toEqual(["Ada"]);
    const warnings = scheduleWarnings(schedule, [], at("2026-10-30T12:00:00Z"));
    expect(warnings).toEqual([
      expect.stringContaining('engineer Bob: number "555-0101" is not an E.164 number'),
      "level 1 (primary) has nobody on call from 2026-10-30T12:00:00.000Z to 2026-11-02T09:00:00.000Z",
    ]);
  });
});

describe("the schedule file", () => {
  it("reads the example format with its defaults", () => {
    const schedule = oneLevel("Europe/London", `{ engineers: [Ada], shift: 1 week, handover: Monday 09:00, start: 2026-11-02 }`);
    expect(schedule.levels[0]!.layers[0]).toMatchObject({ timeZone: "Europe/London", shift: { count: 1, unit: "weeks" }, handover: { weekday: 1, time: { hour: 9, minute: 0 } } });
    expect(schedule.engineers.Linus).toEqual({ number: "+15550001003", timeZone: "America/New_York" });
  });

  it("refuses a bad file naming the file, the path inside it and the reason", () => {
    const bad = () =>
      parseSchedule(
        `timeZone: Europe/Londres\n${ENGINEERS}levels:\n  - layers:\n      - { engineers: [Ada, Bob], shift: 1 fortnight, start: 2026-11-02, colour: red }\n      - { engineers: [Ada], shift: 1 week, start: 2026-11-02 }\n      - { engineers: [Ada], shift: 3 hours, handover: "09:00", start: 2026-02-30 }`,
        "team.yaml",
      );
    expect(bad).toThrow(ScheduleError);
    const message = (() => {
      try {
        bad();
      } catch (error) {
        return (error as Error).message;
      }
    })()!;
    expect(message).toContain("team.yaml: at timeZone: an IANA time zone");
    expect(message).toContain("team.yaml: at levels.0.layers.0: Unrecognized key");
    expect(message).toContain("team.yaml: at levels.0.layers.0.shift: a shift length");
    expect(message).toContain("team.yaml: at levels.0.layers.2.start: a calendar date that exists");
  });

  it("checks what the transform can only check on a well-formed file: names, handovers", () => {
    expect(() =>
      parseSchedule(
        `${ENGINEERS}levels:\n  - layers:\n      - { engineers: [Ada, Bob], shift: 1 week, start: 2026-11-02 }\n      - { engineers: [Ada], shift: 3 hours, handover: "09:00", start: 2026-11-02 }`,
        "team.yaml",
      ),
    ).toThrow(
      [
        "team.yaml: at levels.0.layers.0.engineers.1: no engineer named Bob under engineers",
        "team.yaml: at levels.0.layers.0.handover: required: weekday and time, e.g. Monday 09:00",
        "team.yaml: at levels.0.layers.1.handover: omitted for shifts of hours (they start at 00:00 on start)",
      ].join("\n"),
    );
  });
});

describe("the README's example schedule", () => {
  const readme = readFileSync("README.md", "utf8");
  const yaml = /## On-call schedules[\s\S]*?```yaml\n([\s\S]*?)```/.exec(readme)![1]!;
  const schedule = parseSchedule(yaml, "README.md");

  it("parses, and follows the sun: London by day, New York in London's evening, nobody rung twice", () => {
    const names = (iso: string) => levelsForCall(schedule, [], at(iso)).map((l) => `${l.name}:${l.engineer.name}`);
    // Wednesday 4 Nov 2026, 10:00 London (05:00 New York): Ada's week in London.
    expect(names("2026-11-04T10:00:00Z")).toEqual(["primary:Ada", "secondary:Linus", "lead:Grace"]);
    // 20:00 London is 15:00 New York: Linus's layer is active; secondary (Linus this week) takes the next in its rotation.
    expect(names("2026-11-04T20:00:00Z")).toEqual(["primary:Linus", "secondary:Margaret", "lead:Grace"]);
    expect(scheduleWarnings(schedule, [], at("2026-11-02T09:00:00Z"))).toEqual([]);
  });
});
