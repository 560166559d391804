import { describe, expect, it } from "vitest";
import type { InboundMail } from "../../src/call/mail.ts";
import { partnerOfSender } from "../../src/call/partners.ts";
import { addressOf, automaticReason, severityOf, threadCandidates } from "../../src/email/classify.ts";
import { extractFacts } from "../../src/email/facts.ts";

const mail = (over: Partial<InboundMail> = {}): InboundMail => ({
  messageId: "<abc@acme.test>",
  receivedAt: "2025-01-01T00:00:00.000Z",
  via: "smtp",
  size: 100,
  envelopeFrom: "jane@acme.test",
  from: "jane@acme.test",
  fromName: "Jane",
  replyTo: null,
  to: ["support@platform.test"],
  subject: "Payments failing",
  text: "",
  inReplyTo: null,
  references: [],
  headers: {},
  contentType: "text/plain",
  attachments: [],
  ...over,
});
const ours = { addresses: ["oncall@platform.test"], domain: "line.example.test" };

describe("severity from the subject", () => {
  it.each([
    ["URGENT: payments down", "SEV1"],
    ["[URGENT] payments down", "SEV1"],
    ["Re: CRITICAL - checkout", "SEV1"],
    ["this is critical for us", "SEV1"],
    ["Urgent", "SEV1"],
    ["non-urgent question", "SEV1"], // "urgent" is a whole word after the hyphen: the partner chose to write it
    ["noncritical question about invoices", "SEV3"],
    ["urgently needed: a new API key", "SEV3"],
    ["criticality report", "SEV3"],
    ["Question about webhooks", "SEV3"],
    ["", "SEV3"],
  ])("%j is %s", (subject, severity) => {
    expect(severityOf(subject)).toBe(severity);
  });
});

describe("automatic mail", () => {
  it("names why a machine wrote it, and lets a person's mail through", () => {
    expect(automaticReason(mail(), ours)).toBeNull();
    expect(automaticReason(mail({ headers: { "auto-submitted": "no" } }), ours)).toBeNull();
    expect(automaticReason(mail({ headers: { "auto-submitted": "auto-replied" } }), ours)).toContain("Auto-Submitted");
    expect(automaticReason(mail({ envelopeFrom: "" }), ours)).toContain("bounce");
    expect(automaticReason(mail({ envelopeFrom: null, headers: { "return-path": "<>" } }), ours)).toContain("bounce");
    expect(automaticReason(mail({ from: "MAILER-DAEMON@mx.acme.test" }), ours)).toContain("MAILER-DAEMON");
    expect(automaticReason(mail({ contentType: "multipart/report" }), ours)).toContain("report");
    for (const p of ["bulk", "list", "junk"]) expect(automaticReason(mail({ headers: { precedence: p } }), ours)).toContain(p);
    expect(automaticReason(mail({ headers: { "x-autoreply": "yes" } }), ours)).toContain("auto-reply");
    expect(automaticReason(mail({ headers: { "x-autorespond": "" } }), ours)).toContain("auto-reply");
    expect(automaticReason(mail({ from: "oncall@platform.test" }), ours)).toContain("our own");
    expect(automaticReason(mail({ messageId: "<INC-20250101-ABCDEF12.ack@line.example.test>" }), ours)).toContain("our own");
  });
});

describe("threading", () => {
  it("finds our Message-IDs in In-Reply-To and References, then an incident id in the subject", () => {
    const reply = mail({
      inReplyTo: "<INC-20250101-ABCDEF12.followup@line.example.test>",
      references: ["<other@acme.test>", "<INC-20250101-ABCDEF12.followup@line.example.test>"],
    });
    expect(threadCandidates(reply, "line.example.test")).toEqual(["INC-20250101-ABCDEF12"]);
    // Someone else's domain is not ours, even with an id-like Message-ID.
    expect(threadCandidates(mail({ inReplyTo: "<INC-20250101-ABCDEF12.followup@evil.test>" }), "line.example.test")).toEqual([]);
    expect(threadCandidates(mail({ subject: "Re: about inc-20250102-0000abcd please" }), "line.example.test")).toEqual(["INC-20250102-0000ABCD"]);
    expect(threadCandidates(mail(), "line.example.test")).toEqual([]);
  });

  it("reads the address out of a mailbox", () => {
    expect(addressOf("On-call <OnCall@Platform.test>")).toBe("oncall@platform.test");
    expect(addressOf("oncall@platform.test")).toBe("oncall@platform.test");
  });
});

describe("facts in a partner's message", () => {
  it("finds trace ids, endpoints, the environment and timestamps", () => {
    const facts = extractFacts(
      [
        "Since 2025-03-04T10:15:00Z, POST /v1/payments returns 502 in production.",
        "x-trace-id: 3f2b8c1e-9d4a-4e6b-8f1a-2c3d4e5f6a7b",
        "another trace: 4bf92f3577b34da6a3ce929d0e0e4736 and GET /v1/payments/{id}.",
        "The trace of card 4111111111111111 is not an id.",
        "Our order ab12cd34ef56ab78cd90 is unrelated: nothing about tracing anywhere near it in this long line of text.",
      ].join("\n"),
    );
    expect(facts.traceIds).toEqual(["3f2b8c1e-9d4a-4e6b-8f1a-2c3d4e5f6a7b", "4bf92f3577b34da6a3ce929d0e0e4736"]);
    expect(facts.endpoints).toEqual(["POST /v1/payments", "GET /v1/payments/{id}"]);
    expect(facts.environments).toEqual(["production"]);
    expect(facts.timestamps).toEqual(["2025-03-04T10:15:00Z"]);
  });
});

describe("partners by mail", () => {
  const directory = {
    "+15557770001": { name: "Acme Payments", email: "oncall@acme.test", domains: ["acme.test"] },
    "+15557770002": { name: "Globex", emails: ["ops@globex.test"] },
  };
  it("matches an exact address first, then the domain, else nobody", () => {
    expect(partnerOfSender(directory, "OPS@globex.test")?.partner.name).toBe("Globex");
    expect(partnerOfSender(directory, "jane@acme.test")).toMatchObject({ number: "+15557770001" });
    expect(partnerOfSender(directory, "jane@elsewhere.test")).toBeNull();
  });
});
