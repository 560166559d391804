/**
 * Which email address and phone number a caller left in a voicemail transcript for the follow-up. The one
 * the caller asks us to use ("email me at ...", "call me back on ...") wins over anything else mentioned;
 * a host or order number said in passing ("it broke at checkout dot acme dot io") is not a contact. When it
 * cannot tell, it names no contact (the follow-up then keeps the partner directory address) and lists the
 * candidates for staff. Finding the candidates is contact-scan.ts; judging them is here.
 */
import { z } from "zod";
import { asEmail, chainForward, emailWords, findEmails, findPhones, normalise, phoneWords, type Found, type Word } from "./contact-scan.ts";

/**
 * asked: the caller introduced it ("my email is", "call me back on", or a correction "sorry, that's").
 * only-one: the single one in the transcript, nothing said around it, and it reads like a contact.
 * unsure: several and none asked for, or one that reads like a host or a reference number said in passing;
 * no contact is named, the candidates are there for staff. none: nothing found.
 */
export const ContactConfidenceSchema = z.enum(["asked", "only-one", "unsure", "none"]);
export const FollowUpContactSchema = z.object({
  /** The address to send the follow-up to; null unless asked for or the only one. */
  email: z.string().nullable(),
  phone: z.string().nullable(),
  /** Everything that read as an address or a number, in the order said, at most MAX_CANDIDATES each. */
  candidates: z.object({ email: z.array(z.string()), phone: z.array(z.string()) }),
  /** Per kind: a caller often asks for an email and mentions a number in passing, or the reverse. */
  confidence: z.object({ email: ContactConfidenceSchema, phone: ContactConfidenceSchema }),
});
export type FollowUpContact = z.infer<typeof FollowUpContactSchema>;
export type ContactConfidence = z.infer<typeof ContactConfidenceSchema>;

/** Enough for any real voicemail; bounds what a hostile transcript puts on the incident. */
const MAX_CANDIDATES = 10;

type Cue = "ask" | "correct" | "passing";
/** Said just before an address or number: the caller takes back what came before. */
const CORRECTIONS = [
  "sorry", "actually", "correction", "i mean", "i meant", "rather", "no", "no wait", "wait", "should be",
  "scratch that", "my mistake", "let me repeat that", "let me correct that",
];
const cues = (ask: string[], passing: string[] = []) =>
  new Map<string, Cue>([
    ...ask.map((phrase) => [phrase, "ask"] as const),
    ...CORRECTIONS.map((phrase) => [phrase, "correct"] as const),
    ...passing.map((phrase) => [phrase, "passing"] as const),
  ]);
const EMAIL_CUES = cues([
  "email", "e-mail", "emails", "mail", "write", "reply", "respond", "contact", "reach", "address", "send it to",
  "send that to", "send them to", "send this to", "send the details to", "send details to", "send updates to",
  "send everything to", "forward it to", "get back to", "get in touch", "cc", "copy in",
]);
const PHONE_CUES = cues(
  ["call", "ring", "phone", "telephone", "text", "number", "mobile", "cell", "landline", "reach", "contact", "dial", "callback", "whatsapp", "area code"],
  [
    "order", "order number", "ticket", "ticket number", "case", "case number", "reference", "reference number", "ref", "id",
    "code", "error code", "error", "invoice", "invoice number", "transaction", "transaction id", "account", "account number",
    "merchant id", "version", "build", "since",
  ],
);
const CORRECTION_CUES = cues([]);
/** Words that may stand between a cue and what it introduces: "email [me at]", "my number [is]", "sorry, [that's]". */
const FILLERS = new Set(
  "me us at on to is it's its that's thats that please via by address email e-mail mail number uh um erm er just directly back be was".split(" "),
);
const MAX_GAP = 4;
const LONGEST_CUE = 4;

function phraseEndingAt(words: string[], end: number, phrases: Map<string, Cue>): Cue | undefined {
  for (let length = Math.min(LONGEST_CUE, end + 1); length >= 1; length--) {
    const cue = phrases.get(words.slice(end - length + 1, end + 1).join(" "));
    if (cue) return cue;
  }
  return undefined;
}

/** The nearest cue before `start`, with only fillers between. */
function cueBefore(words: string[], start: number, phrases: Map<string, Cue>): Cue | undefined {
  for (let p = start - 1; p >= 0 && p >= start - 1 - MAX_GAP; p--) {
    const cue = phraseEndingAt(words, p, phrases);
    if (cue) return cue;
    if (!FILLERS.has(words[p]!)) return undefined;
  }
  return undefined;
}

interface Choice {
  pick: Found | undefined;
  confidence: ContactConfidence;
  candidates: string[];
}

function choose(found: Found[], words: string[], phrases: Map<string, Cue>): Choice {
  const judged = found.map((f) => {
    const cue = cueBefore(words, f.start, phrases);
    // A cue does not make a sentence an address: "email me, it broke at checkout dot io".
    const asked = (cue === "ask" || cue === "correct") && f.passing !== "yes";
    return { ...f, asked, corrects: asked && cue === "correct", incidental: f.passing !== "no" || cue === "passing" };
  });
  const candidates = [...new Set(found.map((f) => f.value))].slice(0, MAX_CANDIDATES);
  const asked = judged.filter((f) => f.asked);
  // "sorry, that's ..." replaces what was asked for before it; otherwise the first one asked for.
  const pick = asked.filter((f) => f.corrects).at(-1) ?? asked[0];
  if (pick) return { pick, confidence: "asked", candidates };
  if (candidates.length === 1 && !judged.some((f) => f.incidental)) return { pick: judged[0], confidence: "only-one", candidates };
  return { pick: undefined, confidence: candidates.length > 0 ? "unsure" : "none", candidates };
}

/** "... jane at acme dot com, sorry, that's jane dot doe": the mailbox corrected, the domain kept. */
function correctedMailbox(words: Word[], texts: string[], after: number, mailbox: string): string | undefined {
  for (let q = after + 1; q <= after + MAX_GAP && q < words.length; q++) {
    if (phraseEndingAt(texts, q, CORRECTION_CUES) !== "correct") continue;
    let i = q + 1;
    while (i <= q + MAX_GAP && FILLERS.has(texts[i] ?? "")) i++;
    const local = chainForward(words, i, 64);
    // A single ordinary word after "sorry" is rarely a mailbox; one followed by "at" is a whole new address;
    // one sharing nothing with the first mailbox, and not spelled out, is more likely a host ("api dot acme dot io").
    const ok = local && !local.plain && texts[local.end + 1] !== "at" && (local.spelled || sharesAPart(local.text, mailbox));
    return ok ? local.text : undefined;
  }
  return undefined;
}

const sharesAPart = (a: string, b: string) => {
  const parts = new Set(b.split(/[._-]/));
  return a.split(/[._-]/).some((part) => parts.has(part));
};

export function extractContact(transcript: string): FollowUpContact {
  const text = normalise(transcript);
  const words = emailWords(text);
  const texts = words.map((w) => w.word);
  const emails = choose(findEmails(words), texts, EMAIL_CUES);
  const numbers = phoneWords(text);
  const phones = choose(findPhones(numbers), numbers, PHONE_CUES);

  let email = emails.pick?.value ?? null;
  if (emails.pick && email) {
    const at = email.indexOf("@");
    const mailbox = correctedMailbox(words, texts, emails.pick.end, email.slice(0, at));
    const corrected = mailbox && asEmail(mailbox, email.slice(at + 1));
    if (corrected) {
      email = corrected;
      if (!emails.candidates.includes(corrected)) emails.candidates.push(corrected);
    }
  }
  return {
    email,
    phone: phones.pick?.value ?? null,
    candidates: { email: emails.candidates, phone: phones.candidates },
    confidence: { email: emails.confidence, phone: phones.confidence },
  };
}
