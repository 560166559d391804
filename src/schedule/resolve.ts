import { e164 } from "../call/phone.ts";
import { newestFirst, type Override } from "./override.ts";
import { layerSpans, type LayerSpan } from "./rotation.ts";
import type { Schedule, ScheduleLevel } from "./schema.ts";

/**
 * Who is on call, from the schedule and the overrides, as pure functions of an instant (epoch ms). At each
 * level an override in force beats every layer (the newest where two overlap); otherwise the last layer
 * that has someone on covers the ones before it; otherwise the level has nobody.
 */

/** A stretch of a level's time with one person on (or nobody), and whether an override put them there. */
export interface Piece {
  from: number;
  to: number;
  engineer: string | null;
  /** The id of the override in force, or null when the layers decide. */
  override: string | null;
}

/** How far resolve() looks either side of the instant for since/until; beyond it they are null. */
export const HORIZON_MS = 92 * 24 * 3_600_000;

function spanAt(spans: LayerSpan[], at: number): LayerSpan | undefined {
  let low = 0;
  let high = spans.length - 1;
  while (low <= high) {
    const middle = (low + high) >> 1;
    const span = spans[middle]!;
    if (at < span.from) high = middle - 1;
    else if (at >= span.to) low = middle + 1;
    else return span;
  }
  return undefined;
}

/** The level's pieces over [from, to), adjacent ones merged when they have the same person and source. */
export function levelPieces(level: ScheduleLevel, overrides: readonly Override[], from: number, to: number): Piece[] {
  const spans = level.layers.map((layer) => layerSpans(layer, from, to));
  const mine = overrides
    .filter((o) => o.level === level.level)
    .map((o) => ({ ...o, start: Date.parse(o.from), end: Date.parse(o.to) }))
    .filter((o) => o.end > from && o.start < to)
    .sort(newestFirst);
  const cuts = new Set<number>([from, to]);
  for (const layer of spans) for (const span of layer) cuts.add(span.from).add(span.to);
  for (const o of mine) cuts.add(Math.max(o.start, from)).add(Math.min(o.end, to));
  const points = [...cuts].sort((a, b) => a - b);
  const pieces: Piece[] = [];
  for (let i = 0; i + 1 < points.length; i++) {
    const [a, b] = [points[i]!, points[i + 1]!];
    const override = mine.find((o) => o.start <= a && a < o.end);
    let piece: Piece = { from: a, to: b, engineer: null, override: null };
    if (override) piece = { ...piece, engineer: override.engineer, override: override.id };
    else {
      for (let l = spans.length - 1; l >= 0; l--) {
        const span = spanAt(spans[l]!, a);
        if (span) {
          piece.engineer = level.layers[l]!.engineers[span.engineer]!;
          break;
        }
      }
    }
    const previous = pieces.at(-1);
    if (previous && previous.engineer === piece.engineer && previous.override === piece.override) previous.to = b;
    else pieces.push(piece);
  }
  return pieces;
}

export interface ResolvedLevel {
  level: number;
  name: string;
  engineer: { name: string; number: string } | null;
  /** What is in force at the instant began / ends (ISO); null when beyond HORIZON_MS either way. */
  since: string | null;
  until: string | null;
  /** The override that put the engineer there, if one did. */
  override: string | null;
}

/** For each level: who is on call at `at`, and since/until when that holds (after layers and overrides). */
export function resolve(schedule: Schedule, overrides: readonly Override[], at: number): ResolvedLevel[] {
  const [from, to] = [at - HORIZON_MS, at + HORIZON_MS];
  return schedule.levels.map((level) => {
    const pieces = levelPieces(level, overrides, from, to);
    const index = pieces.findIndex((p) => p.from <= at && at < p.to);
    const piece = pieces[index]!;
    // In force = the same person, whoever put them there.
    let [first, last] = [index, index];
    while (first > 0 && pieces[first - 1]!.engineer === piece.engineer) first--;
    while (last + 1 < pieces.length && pieces[last + 1]!.engineer === piece.engineer) last++;
    const since = pieces[first]!.from;
    const until = pieces[last]!.to;
    const person = piece.engineer === null ? null : { name: piece.engineer, number: schedule.engineers[piece.engineer]?.number ?? "" };
    return {
      level: level.level,
      name: level.name,
      engineer: person,
      since: since <= from ? null : new Date(since).toISOString(),
      until: until >= to ? null : new Date(until).toISOString(),
      override: piece.override,
    };
  });
}

export interface CallLevel {
  level: number;
  name: string;
  engineer: { name: string; number: string };
}

/**
 * The engineers to dial for a call starting at `at`, level 1 first. A person already rung at a lower level is
 * not rung twice: the level then takes the next one on its layers (the override's engineer, then each active
 * layer's, latest layer first, each followed by the rest of its rotation in turn); a level left with nobody is
 * skipped. An engineer whose number is not dialable (see scheduleWarnings) is passed over the same way.
 */
export function levelsForCall(schedule: Schedule, overrides: readonly Override[], at: number): CallLevel[] {
  const rung = new Set<string>();
  const result: CallLevel[] = [];
  for (const level of schedule.levels) {
    const candidates: string[] = [];
    const override = overrides.filter((o) => o.level === level.level && Date.parse(o.from) <= at && at < Date.parse(o.to)).sort(newestFirst)[0];
    if (override) candidates.push(override.engineer);
    for (let l = level.layers.length - 1; l >= 0; l--) {
      const layer = level.layers[l]!;
      const span = layerSpans(layer, at, at + 1)[0];
      if (!span) continue;
      for (let step = 0; step < layer.engineers.length; step++) candidates.push(layer.engineers[(span.engineer + step) % layer.engineers.length]!);
    }
    const chosen = candidates.find((name) => {
      const number = schedule.engineers[name]?.number;
      return number !== undefined && e164.safeParse(number).success && !rung.has(name) && !rung.has(number);
    });
    if (!chosen) continue;
    const number = schedule.engineers[chosen]!.number;
    rung.add(chosen).add(number);
    result.push({ level: level.level, name: level.name, engineer: { name: chosen, number } });
  }
  return result;
}
