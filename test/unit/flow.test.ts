import { describe, expect, it } from "vitest";
import { afterDial, legResult, noticeChoice, outcomeOnHangup, whisperDecision } from "../../src/call/flow.ts";

describe("the call flow's decisions", () => {
  it("accepts only the key 1 on the whisper", () => {
    expect(whisperDecision("1")).toBe("accepted");
    for (const digits of ["2", "0", "#", "*", "11", "", undefined]) expect(whisperDecision(digits)).toBe("declined");
  });

  it("hunts after the status notice only when the caller pressed 1", () => {
    expect(noticeChoice("1")).toBe("hunt");
    expect(noticeChoice(undefined)).toBe("status-page");
    expect(noticeChoice("5")).toBe("status-page");
  });

  it("does not take a completed leg for an acceptance: a personal voicemail also completes", () => {
    expect(legResult({ dialStatus: "completed", answered: true, decision: null })).toBe("not-accepted");
    expect(legResult({ dialStatus: "answered", answered: false, decision: null })).toBe("not-accepted");
    expect(legResult({ dialStatus: "completed", answered: true, decision: "accepted" })).toBe("accepted");
    expect(legResult({ dialStatus: "completed", answered: true, decision: "declined" })).toBe("declined");
    expect(legResult({ dialStatus: "no-answer", answered: false, decision: null })).toBe("no-answer");
    expect(legResult({ dialStatus: "busy", answered: false, decision: null })).toBe("busy");
    expect(legResult({ dialStatus: "failed", answered: false, decision: null })).toBe("failed");
  });

  it("moves through the levels to the voicemail, and stops when the caller is gone", () => {
    expect(afterDial({ level: 1, levels: 3, result: "no-answer", callOver: false })).toEqual({ next: "dial", level: 2 });
    expect(afterDial({ level: 2, levels: 3, result: "not-accepted", callOver: false })).toEqual({ next: "dial", level: 3 });
    expect(afterDial({ level: 3, levels: 3, result: "busy", callOver: false })).toEqual({ next: "voicemail" });
    expect(afterDial({ level: 1, levels: 1, result: "failed", callOver: false })).toEqual({ next: "voicemail" });
    expect(afterDial({ level: 2, levels: 3, result: "accepted", callOver: false })).toEqual({ next: "connected-end" });
    expect(afterDial({ level: 1, levels: 3, result: "canceled", callOver: true })).toEqual({ next: "nothing" });
  });

  it("names the outcome of a hang-up from where the caller was", () => {
    expect(outcomeOnHangup("greeting")).toBe("abandoned");
    expect(outcomeOnHangup("hunting")).toBe("abandoned");
    expect(outcomeOnHangup("notice")).toBe("status-page");
    expect(outcomeOnHangup("voicemail")).toBe("voicemail");
  });
});

describe("a leg Twilio says never answered", () => {
  it("is not accepted, whatever a whisper request claimed", () => {
    for (const dialStatus of ["busy", "no-answer", "failed"] as const) expect(legResult({ dialStatus, answered: false, decision: "accepted" })).toBe(dialStatus);
    expect(legResult({ dialStatus: "completed", answered: true, decision: "accepted" })).toBe("accepted");
  });
});
