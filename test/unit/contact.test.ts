import { describe, expect, it } from "vitest";
import { extractContact, FollowUpContactSchema, type ContactConfidence } from "../../src/incidents/contact.ts";

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
      candidates: { email: ["ops@acme.com"], phone: ["+15550101234"] },
      confidence: { email: "asked", phone: "asked" },
    });
  });

  it("finds nothing where there is nothing, rather than guessing", () => {
    expect(extractContact("Hi, this is Jane from Acme, payments are failing for all of our users at the moment, please call back.")).toEqual({
      email: null,
      phone: null,
      candidates: { email: [], phone: [] },
      confidence: { email: "none", phone: "none" },
    });
    expect(extractContact("thanks for calling, error code 500 for 2 hours").phone).toBeNull();
  });
});

type Row = [name: string, transcript: string, email: string | null, emailConfidence: ContactConfidence, phone: string | null, phoneConfidence: ContactConfidence];

// What real transcribers produce: "at" or "@", "dot" or ".", words or digits, callers who correct themselves.
const TRANSCRIPTS: Row[] = [
  ["asked, spoken", "Hi, it's Priya from Northwind. Checkout is down for everyone. Email me at priya dot shah at northwind dot com.", "priya.shah@northwind.com", "asked", null, "none"],
  ["the asked address beats a host said after it", "email me at jane at acme dot com, it broke at checkout dot acme dot io", "jane@acme.com", "asked", null, "none"],
  ["a host said in passing, alone", "It broke at checkout dot acme dot io, nothing is loading.", null, "unsure", null, "none"],
  ["a cue too far from a sentence", "please email me, it broke at checkout dot acme dot io", null, "unsure", null, "none"],
  ["a host with a webhook-ish name, alone", "the webhook at hooks dot acme dot com is timing out", null, "unsure", null, "none"],
  ["a spoken URL path is no address", "We see timeouts at api dot acme dot com slash v2 since 9 am", null, "none", null, "none"],
  ["an endpoint, then the asked address", "Our calls to the endpoint api dot acme dot com slash v2 slash payments return 502. My email is ops at acme dot com.", "ops@acme.com", "asked", null, "none"],
  ["a written URL, then a written address", "See https://status.acme.com/incidents/42 for details, you can reach me at j.doe@acme.com", "j.doe@acme.com", "asked", null, "none"],
  ["two written, the first asked", "contact me at jane.doe@globex.example or ops@globex.example", "jane.doe@globex.example", "asked", null, "none"],
  ["two written, none asked", "jane@acme.com and bob@acme.com both got the error", null, "unsure", null, "none"],
  ["corrected with a whole address", "My email is jane at acme dot com, sorry, that's jane dot doe at acme dot com.", "jane.doe@acme.com", "asked", null, "none"],
  ["corrected mailbox, same domain", "My email is jane at acme dot com, sorry, jane dot doe.", "jane.doe@acme.com", "asked", null, "none"],
  ["mailbox corrected by spelling it", "my email is jon at acme dot com, sorry, j o h n dot smith", "john.smith@acme.com", "asked", null, "none"],
  ["'sorry' then a host is no correction", "email me at jane at acme dot com, sorry, api dot acme dot io is down too", "jane@acme.com", "asked", null, "none"],
  ["'no one at' is a sentence", "No one at acme dot com can log in", null, "unsure", null, "none"],
  ["someone described, not a mailbox", "I'm the CTO at acme dot com and we are down", null, "unsure", null, "none"],
  ["said twice", "email me at jane at acme dot com, again that's jane at acme dot com", "jane@acme.com", "asked", null, "none"],
  ["underscore, dash, co dot uk", "you can reach me on jane underscore doe at acme dash corp dot co dot uk", "jane_doe@acme-corp.co.uk", "asked", null, "none"],
  ["hyphen", "email me at ops hyphen team at pay dot io", "ops-team@pay.io", "asked", null, "none"],
  ["underscore to a .example domain", "write to billing underscore alerts at globex dot example", "billing_alerts@globex.example", "asked", null, "none"],
  ["spelled name, no cue", "Hi it's Tom, t o m dot b at initech dot com, calling about failed refunds", "tom.b@initech.com", "only-one", null, "none"],
  ["the only address, no cue", "jane at acme dot com, thanks", "jane@acme.com", "only-one", null, "none"],
  ["@ said as a word apart", "email me at jane.doe @ acme.com", "jane.doe@acme.com", "asked", null, "none"],
  ["'at sign'", "my email is jane at sign acme dot com", "jane@acme.com", "asked", null, "none"],
  ["half written, half spoken", "send it to jane.doe@acme dot com", "jane.doe@acme.com", "asked", null, "none"],
  ["written with a colon and capitals", "My e-mail address is: Jane.Doe@Acme.com.", "jane.doe@acme.com", "asked", null, "none"],
  ["UK mobile, words", "Call me back on oh seven seven double oh nine double oh one two three", null, "none", "07700900123", "asked"],
  ["UK landline, words in groups", "my number is oh two oh, seven nine four six, oh nine five eight", null, "none", "02079460958", "asked"],
  ["UK number, digits", "Hi, this is Sam from Contoso, webhooks have stopped arriving. Please call me on +44 20 7946 0958.", null, "none", "+442079460958", "asked"],
  ["UK landline, digits", "you can reach me on 0161 496 0000", null, "none", "01614960000", "asked"],
  ["US, digits with dashes", "You can call me at 415-555-0132 anytime", null, "none", "4155550132", "asked"],
  ["US, words", "call me back at four one five, five five five, zero one three two", null, "none", "4155550132", "asked"],
  ["US toll free", "call 1-800-555-0199", null, "none", "18005550199", "asked"],
  ["plus, no cue", "plus one two one two five five five zero one nine nine", null, "none", "+12125550199", "only-one"],
  ["hundred and twenty-three", "ring me on oh seven seven double oh nine hundred, one twenty three", null, "none", "07700900123", "asked"],
  ["two numbers, the first asked", "my mobile is 07700 900123, or the office on 020 7946 0958", null, "none", "07700900123", "asked"],
  ["two numbers, none asked", "07700 900123 or 020 7946 0958", null, "none", null, "unsure"],
  ["number corrected", "call me on 07700 900123, sorry, 07700 900124", null, "none", "07700900124", "asked"],
  ["an order number is no phone", "The order number is 40012345, it failed twice", null, "none", null, "unsure"],
  ["a date is no phone", "since 2024-05-01 we cannot log in", null, "none", null, "unsure"],
  ["an error code is no phone", "we get error code 5 0 0 1 2 3 4 on every refund", null, "none", null, "unsure"],
  ["an address in passing and an asked number", "Our alerts go to noc at acme dot com but call me on 07700 900123", "noc@acme.com", "only-one", "07700900123", "asked"],
  ["[inaudible] inside the address: no half address", "Email me at jane dot [inaudible] at acme dot com or call me on oh seven seven double oh nine double oh one two three", null, "none", "07700900123", "asked"],
  ["[inaudible] inside the number: no half number", "call me back on oh seven seven [inaudible] nine double oh one two three", null, "none", null, "none"],
  ["(inaudible) before a connector", "email me at (inaudible) dot doe at acme dot com", null, "none", null, "none"],
  ["nothing at all", "Hello, payments are failing, please help, thanks", null, "none", null, "none"],
  ["a pronoun is no mailbox", "you can reach us at acme dot com", null, "none", null, "none"],
];

describe("which contact the caller asked for", () => {
  it.each(TRANSCRIPTS)("%s", (_name, transcript, email, emailConfidence, phone, phoneConfidence) => {
    const contact = FollowUpContactSchema.parse(extractContact(transcript));
    expect({ email: contact.email, phone: contact.phone, confidence: contact.confidence }).toEqual({
      email,
      phone,
      confidence: { email: emailConfidence, phone: phoneConfidence },
    });
    // Whatever is named is also among the candidates staff see.
    if (email) expect(contact.candidates.email).toContain(email);
    if (phone) expect(contact.candidates.phone).toContain(phone);
  });

  it("keeps what it was unsure of for staff, and what lost to the asked one", () => {
    expect(extractContact("It broke at checkout dot acme dot io, nothing is loading.").candidates.email).toEqual(["broke@checkout.acme.io"]);
    expect(extractContact("email me at jane at acme dot com, it broke at checkout dot acme dot io").candidates.email).toEqual([
      "jane@acme.com",
      "broke@checkout.acme.io",
    ]);
    expect(extractContact("jane@acme.com and bob@acme.com both got the error").candidates.email).toEqual(["jane@acme.com", "bob@acme.com"]);
    expect(extractContact("07700 900123 or 020 7946 0958").candidates.phone).toEqual(["07700900123", "02079460958"]);
    expect(extractContact("The order number is 40012345, it failed twice").candidates.phone).toEqual(["40012345"]);
  });
});

describe("hostile transcripts", () => {
  it.each([
    ["dots", "a.".repeat(50_000), null],
    ["at signs", "aaaa@".repeat(20_000), null],
    ["one long word", "a".repeat(100_000), null],
    ["spelled letters", "j a n e ".repeat(12_500), null],
    ["digits", "oh ".repeat(34_000), null],
    ["one spoken address again and again", "x at y dot co ".repeat(8_000), "x@y.co"],
    ["different addresses", Array.from({ length: 5_000 }, (_, i) => `u${i}@h${i}.io`).join(" "), null],
  ])("returns promptly on 100 KB of %s", (_name, transcript, email) => {
    const started = performance.now();
    const contact = FollowUpContactSchema.parse(extractContact(transcript));
    // Generous: it takes milliseconds; a quadratic scan of 100 KB took seconds.
    expect(performance.now() - started).toBeLessThan(1_000);
    expect(contact.email).toBe(email);
    expect(contact.candidates.email.length).toBeLessThanOrEqual(10);
  });

  it("still finds the contact at the start of an overlong transcript", () => {
    expect(extractContact(`email me at jane at acme dot com. ${"and it keeps failing ".repeat(5_000)}`).email).toBe("jane@acme.com");
  });

  it("takes no word for a property of Object", () => {
    expect(extractContact("call me on constructor toString hasOwnProperty, or at __proto__ dot constructor at valueOf dot com")).toMatchObject({
      email: null,
      phone: null,
    });
  });
});
