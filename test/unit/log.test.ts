import { Writable } from "node:stream";
import { describe, expect, it } from "vitest";
import { createLogger, MASK_LIMIT, maskText } from "../../src/log.ts";

describe("log masking", () => {
  it.each([
    ["call from +15557770001 received", "call from +*********01 received"],
    ["callback +44 7700 900123 please", "callback +**********23 please"],
    ["dial 5550101234 now", "dial ********34 now"],
    ["dial (555) 010-1234.", "dial (********34."],
    ["write to jane.doe@partner.com", "write to j***@partner.com"],
    ["to a@b.co, c_d+x@mail.example.org;", "to a***@b.co, c***@mail.example.org;"],
  ])("masks %s", (input, masked) => {
    expect(maskText(input)).toBe(masked);
  });

  it.each([["CA9861d1888461382899986bd3d9d956bd"], ["raised 2026-11-24 at 10:00"], ["INC-20261124-9F3A2B1C"], ["took 1500 ms"], ["5550101234x is a token"], ["user@localhost"]])("leaves %s alone", (text) => {
    expect(maskText(text)).toBe(text);
  });

  // The old regexes backtracked: quadratic in a run of address characters, so 80 KB froze the process for
  // seconds. These run with no length cap, to show the scan itself is linear.
  it.each([
    ["a", "a".repeat(1_000_000)],
    ["a@", "a@".repeat(500_000)],
    ["a.", "a.".repeat(500_000)],
    ["1 ", "1 ".repeat(500_000)],
    ["digits", "1".repeat(1_000_000)],
    ["a@a.", `${"a".repeat(500_000)}@${"a.".repeat(250_000)}`],
  ])("reads a megabyte of %j in well under a second", (_name, text) => {
    const started = performance.now();
    maskText(text, Number.POSITIVE_INFINITY);
    expect(performance.now() - started).toBeLessThan(500);
  });

  it("cuts a long text at its limit, masking what it keeps", () => {
    const text = `call +15557770001 ${"x".repeat(10_000)}`;
    const masked = maskText(text);
    expect(masked).toMatch(new RegExp(`^call \\+\\*{9}01 x+… \\[${text.length - MASK_LIMIT} more characters not logged\\]$`));
    expect(masked.length).toBeLessThan(MASK_LIMIT + 50);
  });
});

function capture() {
  const lines: string[] = [];
  const log = createLogger("info", new Writable({ write: (chunk, _encoding, done) => (lines.push(String(chunk)), done()) }));
  return { log, lines, last: () => JSON.parse(lines.at(-1)!) as Record<string, any> };
}

describe("the logger", () => {
  it("masks the fields we log: the message, from, to, a journal write and an error", () => {
    const { log, last } = capture();
    const err = Object.assign(new Error("mail to jane.doe@partner.com refused"), { code: "EENVELOPE", command: { args: ["+15557770001"] } });
    log.warn(
      { from: "+15557770001", to: "jane.doe@partner.com", op: { op: "hash", set: { from: "+447700900123" } }, err, callSid: "CA9861d1888461382899986bd3d9d956bd" },
      "call from %s",
      "+15557770001",
    );
    const line = last();
    expect(line.msg).toBe("call from +*********01");
    expect(line.from).toBe("+*********01");
    expect(line.to).toBe("j***@partner.com");
    expect(line.op).toBe('{"op":"hash","set":{"from":"+**********23"}}');
    expect(line.err).toMatchObject({ type: "Error", message: "mail to j***@partner.com refused", code: "EENVELOPE" });
    expect(line.err.stack).toContain("at ");
    expect(JSON.stringify(line)).not.toContain("15557770001");
    expect(line.callSid).toBe("CA9861d1888461382899986bd3d9d956bd");
  });

  it("does not walk into objects it is handed: a request-sized object costs nothing to log", () => {
    const { log, lines } = capture();
    const started = performance.now();
    log.info({ detail: { headers: { "x-note": "a".repeat(80_000) }, body: { note: "b.c-d".repeat(16_000) } } }, "request");
    expect(performance.now() - started).toBeLessThan(500);
    expect(lines).toHaveLength(1);
  });
});
