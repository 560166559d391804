import type { TimelineEvent } from "../call/timeline-events.ts";
import { html, type Html } from "./html.ts";

export interface Segment {
  label: string;
  kind: "greeting" | "notice" | "ring" | "missed" | "talk" | "voicemail";
  from: number;
  to: number;
}

const RESULT_WORDS: Record<string, string> = {
  "not-accepted": "answered, not accepted",
  "no-answer": "no answer",
  busy: "busy",
  failed: "failed",
  declined: "declined",
  canceled: "caller hung up",
  accepted: "accepted",
};

/**
 * The call's phases as consecutive segments, from its timeline: greeting, status notice, each engineer's ring
 * and how it ended, the conversation or the voicemail.
 */
export function timelineSegments(
  events: TimelineEvent[],
  attempts: { level: number; result: string; engineer: { name?: string; number: string } | null }[],
  /** The call's roster: names a level still ringing, which has no attempt yet. */
  roster: { name?: string; number: string }[] = [],
  /** For a call still on the line: now, so the phase it is in runs up to the present. */
  until?: number,
): Segment[] {
  const t = (e: TimelineEvent) => Date.parse(e.at);
  const levelOf = (e: TimelineEvent) => ("level" in e ? e.level : undefined);
  const find = (event: TimelineEvent["event"], level?: number) => events.find((e) => e.event === event && (level === undefined || levelOf(e) === level));
  const start = events[0] ? t(events[0]) : 0;
  const end = events.length ? Math.max(...events.map(t), until ?? 0) : 0;
  const segments: Segment[] = [];
  const firstDial = find("engineer.dialled");
  const notice = find("statuspage.notice");
  const greetingEnd = notice ?? firstDial;
  segments.push({ label: "greeting", kind: "greeting", from: start, to: greetingEnd ? t(greetingEnd) : end });
  if (notice) {
    const choice = find("statuspage.choice");
    segments.push({ label: "status page notice", kind: "notice", from: t(notice), to: choice ? t(choice) : end });
  }
  for (const dialled of events.filter((e) => e.event === "engineer.dialled")) {
    const level = levelOf(dialled) ?? 0;
    const attempt = attempts.find((a) => a.level === level);
    const who = attempt?.engineer?.name ?? roster[level - 1]?.name ?? `engineer ${level}`;
    const accepted = find("engineer.accepted", level);
    const legEnd = events.find((e) => (e.event === "engineer.missed" || e.event === "conversation.ended") && levelOf(e) === level);
    if (accepted) {
      segments.push({ label: `${who}: ringing`, kind: "ring", from: t(dialled), to: t(accepted) });
      segments.push({ label: `talking with ${who}`, kind: "talk", from: t(accepted), to: legEnd ? t(legEnd) : end });
    } else {
      const result = attempt ? (RESULT_WORDS[attempt.result] ?? attempt.result) : "ringing";
      segments.push({ label: `${who}: ${result}`, kind: attempt ? "missed" : "ring", from: t(dialled), to: legEnd ? t(legEnd) : end });
    }
  }
  const prompt = find("voicemail.prompt");
  if (prompt) {
    const recorded = find("voicemail.recorded");
    segments.push({ label: recorded ? "voicemail left" : "voicemail prompt", kind: "voicemail", from: t(prompt), to: recorded ? t(recorded) : end });
  }
  return segments;
}

const FILL: Record<Segment["kind"], string> = {
  greeting: "#7f9cc9",
  notice: "#b59ad6",
  ring: "#e0a030",
  missed: "#d0675a",
  talk: "#3c9a5f",
  voicemail: "#5a7fd0",
};

/** About how wide a label is in the bar's units (12px font, 1000 units across): labels wider than their segment are not drawn. */
const LABEL_UNITS_PER_CHAR = 7;

/**
 * The segments as one horizontal bar. Widths follow durations, with a floor so that a two-second busy signal
 * stays visible next to a ten-minute conversation. A label is drawn only where it fits whole; otherwise the
 * segment shows its number, and every segment is in the legend below in full and in its `<title>` tooltip:
 * no label is ever clipped. SVG attributes and classes, not inline styles or scripts: CSP-clean.
 */
export function timelineBar(segments: Segment[]): Html {
  const WIDTH = 1000;
  const FLOOR = 60;
  const durations = segments.map((s) => Math.max(s.to - s.from, 0));
  const total = durations.reduce((a, b) => a + b, 0) || 1;
  const raw = durations.map((d) => (d / total) * WIDTH);
  const widths = raw.map((w) => Math.max(w, FLOOR));
  const scale = WIDTH / widths.reduce((a, b) => a + b, 0);
  let x = 0;
  const rects = segments.map((segment, i) => {
    const width = widths[i]! * scale;
    const fits = segment.label.length * LABEL_UNITS_PER_CHAR + 8 <= width;
    const text = fits ? segment.label : String(i + 1);
    const rect = html`<g class="segment segment-${segment.kind}"><title>${i + 1}. ${segment.label} (${seconds(segment)})</title><rect x="${x.toFixed(1)}" y="0" width="${Math.max(width - 2, 1).toFixed(1)}" height="40" fill="${FILL[segment.kind]}"></rect><text x="${(x + 4).toFixed(1)}" y="25" class="${fits ? "label" : "marker"}">${text}</text></g>`;
    x += width;
    return rect;
  });
  const legend = segments.map(
    (segment, i) => html`<li class="segment-${segment.kind}"><span class="swatch ${segment.kind}"></span>${i + 1}. ${segment.label} <small>${seconds(segment)}</small></li>`,
  );
  return html`<svg class="timeline-bar" viewBox="0 0 ${WIDTH} 40" width="100%" height="40" preserveAspectRatio="xMinYMin meet" role="img" aria-label="call timeline">${rects}</svg>
<ol class="timeline-legend">${legend}</ol>`;
}

const seconds = (segment: Segment) => `${((segment.to - segment.from) / 1000).toFixed(1)} s`;

/** The legend's swatches take the bar's colours from the stylesheet (no inline styles under the CSP). */
export const SEGMENT_CSS = Object.entries(FILL)
  .map(([kind, fill]) => `.swatch.${kind}{background:${fill}}`)
  .join("");
