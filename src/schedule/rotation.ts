import type { Layer } from "./schema.ts";
import { calendarDate, dateIn, instantAt, type CalendarDate } from "./wall-clock.ts";

/**
 * One layer's rotation: shift k (k = 0, 1, …) belongs to engineers[k mod n]. Shifts of days and weeks begin at
 * the handover's wall-clock time in the layer's zone, so a handover stays at 09:00 across DST changes; shifts
 * of N hours start at 00:00 on `start` and last N elapsed hours. Before the first shift the layer has nobody.
 * Instants are epoch milliseconds.
 */

const HOUR = 3_600_000;
const DAY = 24 * HOUR;

/** A stretch of time in which one engineer of the layer is on (and the layer is active). */
export interface LayerSpan {
  from: number;
  to: number;
  /** Index into layer.engineers. */
  engineer: number;
}

function firstHandoverDate(layer: Layer): CalendarDate {
  const start = calendarDate(layer.start);
  if (layer.shift.unit !== "weeks" || layer.handover.weekday === null) return start;
  // The first handover weekday on or after the start date.
  return start.plus({ days: (layer.handover.weekday - start.weekday + 7) % 7 });
}

// Zone look-ups are the costly part: the first shift's date and instant are worked out once per layer.
const firsts = new WeakMap<Layer, { date: CalendarDate; instant: number }>();
function firstOf(layer: Layer) {
  let first = firsts.get(layer);
  if (!first) {
    const date = firstHandoverDate(layer);
    const time = layer.shift.unit === "hours" ? { hour: 0, minute: 0 } : layer.handover.time;
    first = { date, instant: instantAt(date, time, layer.timeZone) };
    firsts.set(layer, first);
  }
  return first;
}

// Each call resolves the same few shifts of each layer (the one in force and its neighbours): their starts
// are kept per layer, a bounded handful, so a call costs no luxon work once its shifts are known.
const SHIFT_STARTS_KEPT = 64;
const shiftStarts = new WeakMap<Layer, Map<number, number>>();

/** When shift k begins. */
export function shiftStart(layer: Layer, k: number): number {
  const { count, unit } = layer.shift;
  const first = firstOf(layer);
  if (k === 0) return first.instant;
  if (unit === "hours") return first.instant + k * count * HOUR;
  let known = shiftStarts.get(layer);
  const kept = known?.get(k);
  if (kept !== undefined) return kept;
  const days = unit === "weeks" ? 7 * count : count;
  const start = instantAt(first.date.plus({ days: k * days }), layer.handover.time, layer.timeZone);
  if (!known || known.size >= SHIFT_STARTS_KEPT) shiftStarts.set(layer, (known = new Map()));
  known.set(k, start);
  return start;
}

const nominalLength = (layer: Layer) => layer.shift.count * (layer.shift.unit === "hours" ? HOUR : layer.shift.unit === "days" ? DAY : 7 * DAY);

/** The shift in force at `at`, or -1 before the first one. */
export function shiftIndexAt(layer: Layer, at: number): number {
  const first = shiftStart(layer, 0);
  if (at < first) return -1;
  // An estimate by elapsed time, then corrected: DST moves a wall-clock handover by at most hours.
  let k = Math.floor((at - first) / nominalLength(layer));
  while (k > 0 && shiftStart(layer, k) > at) k--;
  while (shiftStart(layer, k + 1) <= at) k++;
  return k;
}

/**
 * The active windows overlapping [from, to): each belongs to the day it starts on, so Fri 20:00–08:00 covers
 * Saturday morning; a window whose end is not after its start runs into the next day.
 */
export function activeWindows(layer: Layer, from: number, to: number): Array<{ from: number; to: number }> {
  const active = layer.active;
  if (!active) return [{ from, to }];
  const overnight = active.to.hour * 60 + active.to.minute <= active.from.hour * 60 + active.from.minute;
  const windows: Array<{ from: number; to: number }> = [];
  const last = dateIn(to, layer.timeZone);
  for (let day = dateIn(from, layer.timeZone).minus({ days: 1 }); day <= last; day = day.plus({ days: 1 })) {
    if (!active.days.includes(day.weekday)) continue;
    const start = instantAt(day, active.from, layer.timeZone);
    const end = instantAt(overnight ? day.plus({ days: 1 }) : day, active.to, layer.timeZone);
    if (end > from && start < to) windows.push({ from: Math.max(start, from), to: Math.min(end, to) });
  }
  return windows;
}

/** Who the layer has on in [from, to), in order; gaps where the layer is inactive or not yet started. */
export function layerSpans(layer: Layer, from: number, to: number): LayerSpan[] {
  const spans: LayerSpan[] = [];
  const windows = activeWindows(layer, from, to);
  let w = 0;
  let k = Math.max(0, shiftIndexAt(layer, from));
  for (let start = shiftStart(layer, k); start < to; k++) {
    const end = shiftStart(layer, k + 1);
    const engineer = k % layer.engineers.length;
    // Windows are in order: those ending before this shift are done with for good.
    while (w < windows.length && windows[w]!.to <= start) w++;
    for (let i = w; i < windows.length && windows[i]!.from < end; i++) {
      const a = Math.max(start, windows[i]!.from, from);
      const b = Math.min(end, windows[i]!.to, to);
      if (a < b) spans.push({ from: a, to: b, engineer });
    }
    start = end;
  }
  return spans;
}

/** The layer's engineer (index) at `at`, or null when it has nobody then. */
export function layerEngineerAt(layer: Layer, at: number): number | null {
  const span = layerSpans(layer, at, at + 1)[0];
  return span ? span.engineer : null;
}
