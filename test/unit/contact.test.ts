import { describe, expect, it } from "vitest";
import { extractContact } from "../../src/incidents/contact.ts";

describe("follow-up contact from a voicemail transcript", () => {
  it.each([
    ["written address", "Please reply to jane.doe@partner.com thanks", "jane.doe@partner.com"],
    ["written address in capitals, trailing full stop", "Email OPS-Team@Partner.co.uk.", "ops-team@partner.co.uk"],
    ["spoken dots and at", "you can email me at jane dot doe at partner dot com", "jane.doe@partner.com"],
    ["spoken with a mixed written domain", "my email is jane dot doe at partner.com", "jane.doe@partner.com"],
    ["spoken underscore and dash", "write to ops underscore team at pay dash co dot io", "ops_team@pay-co.io"],
    ["spelled-out letters", "it's j a n e at acme dot com", "jane@acme.com"],
    ["two-level domain spoken", "send it to support at mail dot acme dot co dot uk please", "support@mail.acme.co.uk"],
    ["the word 'at' elsewhere in the sentence", "We are failing at checkout, email bob at shop dot example dot org", "bob@shop.example.org"],
  ])("finds the email: %s", (_name, transcript, email) => {
    expect(extractContact(transcript).email).toBe(email);
  });

  it.each([
    ["spoken international number", "call me back on plus four four seven seven zero zero nine zero zero one two three", "+447700900123"],
    ["double and oh", "my number is oh seven seven double oh nine double oh one two three", "07700900123"],
    ["written with spaces", "Call +44 7700 900123 any time", "+447700900123"],
    ["written with dashes and brackets", "reach us at (555) 010-1234", "5550101234"],
    ["digits said in groups with 'and'", "five five five and zero one zero and one two three four", "5550101234"],
    ["a number after unrelated small numbers", "we lost 3 payments in 2 minutes, call 4 1 5 5 5 5 0 1 2 3", "4155550123"],
  ])("finds the phone number: %s", (_name, transcript, phone) => {
    expect(extractContact(transcript).phone).toBe(phone);
  });

  it("finds both when the caller gives both", () => {
    expect(extractContact("Email ops at acme dot com or call plus one five five five zero one zero one two three four")).toEqual({
      email: "ops@acme.com",
      phone: "+15550101234",
    });
  });

  it("finds nothing where there is nothing, rather than guessing", () => {
    expect(extractContact("Hi, this is Jane from Acme, payments are failing for all of our users at the moment, please call back.")).toEqual({
      email: null,
      phone: null,
    });
    expect(extractContact("thanks for calling, error code 500 for 2 hours").phone).toBeNull();
  });
});
