import type { Engineer } from "../call/engineers.ts";
import { fixedSchedule } from "../schedule/fixed.ts";
import type { Override } from "../schedule/override.ts";
import { levelsForCall, resolve, type ResolvedLevel } from "../schedule/resolve.ts";
import type { Schedule } from "../schedule/schema.ts";
import type { Overrides } from "./overrides.ts";
import type { Roster } from "./roster.ts";

/**
 * Who is on call: the schedule file (SCHEDULE_FILE) when there is one, else the roster (ENGINEERS, edited in
 * the console) as three fixed levels; overrides beat either. The line asks `forCall` when a call comes in and
 * keeps the answer in the call's session; `knownForCall` answers from what this process last read, without
 * I/O, for the fallbacks that must answer Twilio with Redis away.
 */
export class OnCall {
  /** The roster as a schedule, made again only when the roster changes (so its rotations' shifts stay known). */
  private fixed: { key: string; schedule: Schedule } | null = null;

  constructor(
    private readonly roster: Roster,
    readonly overrides: Overrides,
    /** The parsed SCHEDULE_FILE, or null: ENGINEERS mode. */
    readonly file: Schedule | null,
  ) {}

  /** The schedule now in force (the file, or the roster as fixed levels). */
  async schedule(): Promise<Schedule> {
    return this.file ?? this.fixedFor(await this.roster.current());
  }

  knownSchedule(): Schedule {
    return this.file ?? this.fixedFor(this.roster.known());
  }

  private fixedFor(engineers: readonly Engineer[]): Schedule {
    const key = JSON.stringify(engineers);
    if (this.fixed?.key !== key) this.fixed = { key, schedule: fixedSchedule(engineers) };
    return this.fixed.schedule;
  }

  /** Each level at `at`, for the API, the console and the CLI. Redis errors reach the caller. */
  async at(at: Date): Promise<{ schedule: Schedule; overrides: Override[]; levels: ResolvedLevel[] }> {
    const [schedule, overrides] = await Promise.all([this.schedule(), this.overrides.list()]);
    return { schedule, overrides, levels: resolve(schedule, overrides, at.getTime()) };
  }

  /** The engineers to dial for a call starting at `at`, level 1 first; empty when nobody is on call. */
  async forCall(at: Date): Promise<Engineer[]> {
    // Without the overrides (Redis away) the last ones read stand in: the caller must still reach someone.
    const [schedule, overrides] = await Promise.all([this.schedule(), this.overrides.list().catch(() => this.overrides.known())]);
    return this.engineersFor(schedule, overrides, at);
  }

  knownForCall(at: Date): Engineer[] {
    return this.engineersFor(this.knownSchedule(), this.overrides.known(), at);
  }

  private engineersFor(schedule: Schedule, overrides: readonly Override[], at: Date): Engineer[] {
    const levels = levelsForCall(schedule, overrides, at.getTime());
    if (this.file) return levels.map(({ engineer }) => engineer);
    // ENGINEERS mode: the roster's own entries, so an engineer listed without a name stays without one.
    const roster = this.roster.known();
    return levels.map(({ engineer }) => roster.find((e) => e.number === engineer.number) ?? engineer);
  }
}
