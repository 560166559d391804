import { describe, expect, it } from "vitest";
import { pagedSummary } from "../../src/console/dashboard.ts";
import { duration, utcText, when } from "../../src/console/format.ts";
import { timelineBar, type Segment } from "../../src/console/timeline-bar.ts";
import type { IncidentView } from "../../src/followup/incident-view.ts";

/** Just what pagedSummary reads of an incident. */
const incident = (mobilise: Partial<IncidentView["followup"]["mobilise"]>, extra: Partial<IncidentView> = {}) =>
  ({ drill: false, severity: "SEV1", followup: { mobilise: { state: "queued", job: "waiting", ...mobilise } }, ...extra }) as unknown as IncidentView;

describe("whether anyone was paged, and why not", () => {
  it.each([
    [incident({ state: "sent" }), true, "yes"],
    [incident({ state: "sent" }, { drill: true }), true, "yes, drill channel"],
    [incident({ state: "failed", error: "HTTP 500" }), false, "no: failed (HTTP 500)"],
    [incident({ state: "skipped", reason: "no MOBILISE_WEBHOOK_URL configured" }), false, "no: paging off"],
    [incident({ state: "skipped", reason: "drill incident and no MOBILISE_DRILL_WEBHOOK_URL configured" }, { drill: true }), false, "no: drill, no drill channel"],
    [incident({ state: "queued", job: "not-queued" }, { severity: "SEV3" }), false, "no: SEV3, no page"],
    [incident({ state: "queued", job: "delayed" }), null, "pending"],
  ])("%#", (i, paged, text) => {
    expect(pagedSummary(i)).toEqual({ paged, text });
  });
});

describe("one time format", () => {
  it("is UTC, ISO-like, in a <time> carrying the instant", () => {
    expect(utcText("2026-12-07T03:12:09.512Z")).toBe("2026-12-07 03:12:09 UTC");
    expect(utcText("2026-12-07T04:12:09+01:00")).toBe("2026-12-07 03:12:09 UTC");
    expect(String(when("2026-12-07T03:12:09.512Z"))).toBe('<time datetime="2026-12-07T03:12:09.512Z">2026-12-07 03:12:09 UTC</time>');
    expect(when(null)).toBe("—");
    expect([duration(42.4), duration(187), duration(-3)]).toEqual(["42 s", "3 min 07 s", "0 s"]);
  });
});

describe("the timeline bar", () => {
  const segments: Segment[] = [
    { label: "greeting", kind: "greeting", from: 0, to: 1_000 },
    { label: "Grace: answered, not accepted", kind: "missed", from: 1_000, to: 2_000 },
    { label: "talking with Linus Torvalds", kind: "talk", from: 2_000, to: 600_000 },
  ];
  const svg = String(timelineBar(segments));

  it("draws a label only where it fits whole, else the segment's number", () => {
    const texts = [...svg.matchAll(/<text [^>]*class="(label|marker)">([^<]*)<\/text>/g)].map((m) => [m[1], m[2]]);
    expect(texts).toEqual([["marker", "1"], ["marker", "2"], ["label", "talking with Linus Torvalds"]]);
  });

  it("lists every segment in full in the legend and in its tooltip", () => {
    expect([...svg.matchAll(/<title>([^<]*)<\/title>/g)].map((m) => m[1])).toEqual(["1. greeting (1.0 s)", "2. Grace: answered, not accepted (1.0 s)", "3. talking with Linus Torvalds (598.0 s)"]);
    expect([...svg.matchAll(/<li class="segment-(\w+)"><span class="swatch \1"><\/span>([^<]*)<small>/g)].map((m) => m[2])).toEqual(["1. greeting ", "2. Grace: answered, not accepted ", "3. talking with Linus Torvalds "]);
  });
});
