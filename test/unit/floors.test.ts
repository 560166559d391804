import { describe, expect, it } from "vitest";
import type { CallEvent } from "../../src/simulator/call-state.ts";
import { floors } from "../../src/simulator/floors.ts";

const at = (t: number, party: CallEvent["party"], kind: CallEvent["kind"]): CallEvent => ({ t, party, kind, text: "" });

describe("the floor of each milestone: what the line imposed, without the engineers' own pick-up time", () => {
  it("takes out the seconds each engineer took to answer before the milestone, and nothing after it", () => {
    const events = [
      at(7.2, "engineer 1", "rings"),
      at(32.2, "engineer 1", "misses"), // no answer: the ring the line chose to wait stays in the floor
      at(34, "engineer 2", "rings"),
      at(40, "engineer 2", "answers"), // 6 s to pick up
      at(50, "engineer 2", "hangs up"),
      at(52, "engineer 3", "rings"),
      at(60, "engineer 3", "answers"), // 8 s to pick up
    ];
    expect(floors(events, { firstRingAt: 7.2, humanAt: 66, beepAt: null })).toEqual({ firstRing: 7.2, human: 52, beep: null });
    // A voicemail after them: the same pick-ups come off the beep.
    expect(floors(events, { firstRingAt: 7.2, humanAt: null, beepAt: 90 }).beep).toBe(76);
  });

  it("is the milestone itself when nobody had to pick up", () => {
    expect(floors([at(3.2, "engineer 1", "rings")], { firstRingAt: 3.2, humanAt: null, beepAt: 60 })).toEqual({ firstRing: 3.2, human: null, beep: 60 });
  });
});
