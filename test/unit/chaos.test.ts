import { describe, expect, it } from "vitest";
import { CALLBACK_KINDS, chaosLabel, chaosVariation, permutations, remainingOrders } from "../../src/simulator/chaos.ts";

describe("the orders a chaos run tries", () => {
  const first = CALLBACK_KINDS;

  it("tries each order a call's callbacks can take once: one for a status callback alone, two with a Dial action, 24 with a voicemail", () => {
    expect(permutations(CALLBACK_KINDS)).toHaveLength(24);
    expect(remainingOrders(first, [["status"]], "all", 1)).toEqual([]);
    const hangUp = remainingOrders(first, [["action", "status"]], "all", 1);
    expect(hangUp.map((order) => order.filter((kind) => kind === "action" || kind === "status"))).toEqual([["status", "action"]]);
    // Two calls at once: the voicemail's 24 orders cover the other call's single one.
    expect(remainingOrders(first, [["status"], [...CALLBACK_KINDS]], "all", 1)).toHaveLength(23);
  });

  it("picks a seeded subset, the same for the same seed, with the first run counted", () => {
    const pick = (seed: number) => remainingOrders(first, [[...CALLBACK_KINDS]], 6, seed);
    expect(pick(42)).toHaveLength(5);
    expect(pick(42)).toEqual(pick(42));
    expect(pick(42)).not.toEqual(pick(43));
    expect(new Set(pick(42).map((order) => order.join()))).not.toContain(first.join());
    expect(remainingOrders(first, [["action", "status"]], 6, 1)).toHaveLength(1);
  });

  it("names a run by the order of the callbacks its calls had, and what else it did", () => {
    const variation = chaosVariation(["status", "recording-status", "action", "transcription"], 1);
    expect(chaosLabel(variation, 1, 2, ["action", "status"])).toBe(
      "order 2 of 2: status callback → action after the hang-up; every webhook twice; Record action without RecordingSid; Dial action after a hang-up says no-answer",
    );
  });
});
