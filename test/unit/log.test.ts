import { describe, expect, it } from "vitest";
import { maskText } from "../../src/log.ts";

describe("log masking", () => {
  it.each([
    ["call from +15557770001 received", "call from +*********01 received"],
    ["callback +44 7700 900123 please", "callback +**********23 please"],
    ["dial 5550101234 now", "dial ********34 now"],
    ["write to jane.doe@partner.com", "write to j***@partner.com"],
  ])("masks %s", (input, masked) => {
    expect(maskText(input)).toBe(masked);
  });

  it.each([["CA9861d1888461382899986bd3d9d956bd"], ["raised 2026-11-24 at 10:00"], ["INC-20261124-9F3A2B1C"], ["took 1500 ms"]])("leaves %s alone", (text) => {
    expect(maskText(text)).toBe(text);
  });
});
