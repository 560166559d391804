import { describe, expect, it } from "vitest";
import { render, type TwimlDocument } from "../../src/line/twiml.ts";

// The line answers each step from a copy built once per shape, with the call's CallSid put in (twiml.ts).
// What Twilio gets must be exactly what twilio's VoiceResponse builds for that call.
const BASE = "https://line.example.test";
const SID_A = `CA${"a1".repeat(16)}`;
const SID_B = `CA${"b2".repeat(16)}`;
const engineer = { name: "Ada", number: "+15550001001" };
const docs = (callSid: string): TwimlDocument[] => [
  { step: "greeting", drill: false, dial: { level: 1, engineer, callSid, ringTimeout: 20, callerId: "+15550009999" } },
  { step: "dial", intro: "another", dial: { level: 2, engineer, callSid, ringTimeout: 20 } },
  { step: "whisper", caller: { from: "+15557770001", partner: { name: "Acme" }, drill: true }, level: 1, callSid, play: 2, unknownKey: "7" },
];
/** The same document built afresh by twilio (the pretty form, which is never cached), without its layout. */
const built = (doc: TwimlDocument) => render(BASE, doc, { pretty: true }).replace(/>\s+</g, "><").trim();

describe("TwiML rendered from a shape built once", () => {
  it("is what twilio builds for each call, whichever call's copy was built first", () => {
    for (const [a, b] of docs(SID_A).map((doc, i) => [doc, docs(SID_B)[i]!] as const)) {
      const first = render(BASE, a);
      const second = render(BASE, b); // from the copy the first built
      expect(first).toBe(built(a));
      expect(second).toBe(built(b));
      expect(second).toContain(SID_B);
      expect(second).not.toContain(SID_A);
      expect(second).not.toContain("CAxxxx");
    }
  });

  it("builds a document whose CallSid is not a CallSid's shape afresh, escaped as twilio escapes it", () => {
    const odd: TwimlDocument = { step: "dial", intro: "hold", dial: { level: 1, engineer, callSid: "CA<&>", ringTimeout: 20 } };
    expect(render(BASE, odd)).toBe(built(odd));
    expect(render(BASE, odd)).not.toContain("CA<&>");
  });
});
