/**
 * Finds every email address and phone number in a voicemail transcript, with where each sits among the
 * words, so that contact.ts can judge which one the caller asked us to use. Transcribers write what people
 * say ("jane dot doe at partner dot com", "plus four four seven seven double oh...") as well as written forms.
 *
 * Transcripts are untrusted: everything here is a single pass over a capped text, or a read of a bounded
 * length (an address part is at most 64 / 253 characters), and no regular expression can backtrack over more
 * than one word.
 */

/** Twilio transcribes at most 120 s of speech, about 2,000 characters: only the start of anything longer is read. */
export const MAX_TRANSCRIPT_CHARS = 5_000;
/** Stands for what the transcriber could not make out: no address or number is read across it. */
const GAP = "[?]";

/** An address or number, and the first and last word it spans (the cue that asks for it precedes `start`). */
export interface Found {
  value: string;
  start: number;
  end: number;
  /** "yes": reads as a sentence ("it broke at checkout dot io"); "maybe": looks like a host, not a mailbox. */
  passing: "no" | "maybe" | "yes";
}

export interface Word {
  word: string;
  spelled: boolean;
  written?: boolean;
}

export function normalise(transcript: string): string {
  let text = transcript;
  if (text.length > MAX_TRANSCRIPT_CHARS) {
    text = text.slice(0, MAX_TRANSCRIPT_CHARS);
    const lastSpace = text.lastIndexOf(" ");
    if (lastSpace > 0) text = text.slice(0, lastSpace); // no half a word or half an address at the cut
  }
  return text
    .toLowerCase()
    .replace(/\[[^\][]{0,40}\]|\((?:inaudible|unintelligible|indiscernible|crosstalk|unclear)\)|\b(?:inaudible|unintelligible|indiscernible)\b/g, ` ${GAP} `)
    .replace(/\b(?:https?|ftp):\/\/\S*|\bwww\.\S*/g, ` ${GAP} `) // a URL is a place, never a contact
    .replace(/\bat (?:sign|symbol)\b/g, "at");
}

/** Strips the given characters from both ends (a loop: `/[.-]+$/` rescans long runs of dots). */
function trimEnds(word: string, chars: string): string {
  let a = 0;
  let b = word.length;
  while (a < b && chars.includes(word[a]!)) a++;
  while (b > a && chars.includes(word[b - 1]!)) b--;
  return word.slice(a, b);
}

// ---- email ----

// Maps, not object literals: a transcript saying "constructor" must not find Object.prototype.
const CONNECTORS = new Map(Object.entries({ dot: ".", period: ".", point: ".", underscore: "_", dash: "-", hyphen: "-", minus: "-" }));
const connector = (token: Word | undefined) => (token === undefined ? undefined : CONNECTORS.get(token.word));
/** "reach me at acme dot com": a pronoun before "at" is the caller, not a mailbox. */
const NOT_A_MAILBOX = new Set(["me", "us", "you", "him", "her", "them"]);
/** A single word like these before "at" makes a sentence, not an address: "it broke at checkout dot acme dot io". */
const SENTENCE_WORDS = new Set(
  ("it is was are were be been being break breaks broke broken fail fails failed failing failure failures down error errors " +
    "erroring crash crashes crashed crashing stuck hang hangs hanging out slow work works working worked happens happened " +
    "happening start started starts stopped stops problem problems issue issues outage everything something nothing anything " +
    "all this that we they i he she there here now again still also even only up off look looking hosted live lives running " +
    "and or but so then both not from in of with one anyone someone everyone nobody people " +
    "deployed requests calls traffic users customers payments orders transactions logins checkout login timeouts 500s 502s " +
    "503s responses endpoint endpoints page pages site website url api service server servers app").split(" "),
);
/** "the CTO at acme dot com", "our team at ...": a noun phrase, someone described rather than a mailbox. */
const DETERMINERS = new Set("the a an our my your their his her this that every each".split(" "));
/** First labels of hosts people name when describing a fault, rarely of a mail domain. */
const HOST_LABELS = new Set(
  "api www app apps checkout status dashboard portal sandbox staging dev test uat prod admin login auth sso pay payments cdn gateway console docs developer developers secure accounts web webhooks hooks static assets".split(" "),
);
const MAIL_LABELS = new Set(["mail", "email", "mx", "smtp", "post"]);
/** co.uk, com.au, ...: the registrable name is then three labels long. */
const SECOND_LEVEL = new Set(["co", "com", "org", "net", "ac", "gov", "edu", "ltd", "plc", "sch", "nhs"]);

const isWord = (token: string | undefined) =>
  token !== undefined && /^[a-z0-9][a-z0-9.-]*$/.test(token) && !CONNECTORS.has(token) && token !== "at";

/** Words, with written addresses kept whole, "@" said or half-written read as "at", spelled letters joined. */
export function emailWords(text: string): Word[] {
  const raw: Word[] = [];
  for (const piece of text.replace(/[,;:!?"()<>]/g, " ").split(/\s+/)) {
    const word = trimEnds(piece, ".'-");
    if (!word) continue;
    if (!word.includes("@")) raw.push({ word, spelled: false });
    else if (writtenEmail(word)) raw.push({ word, spelled: false, written: true });
    else {
      // "jane.doe@partner dot com", "jane @ partner.com": the halves are read like spoken words.
      word.split("@").forEach((part, i) => {
        if (i > 0) raw.push({ word: "at", spelled: false });
        const trimmed = trimEnds(part, ".'-");
        if (trimmed) raw.push({ word: trimmed, spelled: false });
      });
    }
  }
  return joinSpelledLetters(raw);
}

function writtenEmail(word: string): string | null {
  const at = word.indexOf("@");
  if (at !== word.lastIndexOf("@")) return null;
  return asEmail(word.slice(0, at), word.slice(at + 1));
}

export function asEmail(local: string, domain: string): string | null {
  if (local.length > 64 || domain.length > 253 || !/^[a-z0-9][a-z0-9._%+-]*$/.test(local)) return null;
  const labels = domain.split(".");
  const valid = labels.length >= 2 && labels.every((label) => /^[a-z0-9](?:[a-z0-9-]*[a-z0-9])?$/.test(label));
  return valid && /^[a-z]{2,}$/.test(labels.at(-1)!) ? `${local}@${domain}` : null;
}

/** "j a n e" -> "jane": callers spell names letter by letter. */
function joinSpelledLetters(tokens: Word[]): Word[] {
  const out: Word[] = [];
  let run: string[] = [];
  const flush = () => {
    if (run.length >= 2) out.push({ word: run.join(""), spelled: true });
    else out.push(...run.map((word) => ({ word, spelled: false })));
    run = [];
  };
  const letter = (token: Word | undefined) => token !== undefined && /^[a-z]$/.test(token.word);
  tokens.forEach((token, i) => {
    // "a" and "i" are words on their own; they are letters only inside a spelled run.
    const spelled = letter(token) && (!["a", "i"].includes(token.word) || run.length > 0 || letter(tokens[i + 1]));
    if (spelled) run.push(token.word);
    else {
      flush();
      out.push(token);
    }
  });
  flush();
  return out;
}

/** A chain of words joined by spoken connectors: "jane dot doe", "pay dash co dot io". */
export interface Chain {
  text: string;
  start: number;
  end: number;
  /** One ordinary word: no connector, no spelling, no dot. */
  plain: boolean;
  spelled: boolean;
}

/** Reads a chain forwards from `start`; null when it is cut off ("acme dot [inaudible]") or too long. */
export function chainForward(words: Word[], start: number, maxLength: number): Chain | null {
  const first = words[start];
  if (!first || !isWord(first.word)) return null;
  const chain: Chain = { text: first.word, start, end: start, plain: !first.spelled && !first.word.includes("."), spelled: first.spelled };
  for (let joiner = connector(words[chain.end + 1]); joiner !== undefined; joiner = connector(words[chain.end + 1])) {
    const next = words[chain.end + 2];
    if (!isWord(next?.word)) return null;
    chain.text += joiner + next!.word;
    chain.end += 2;
    chain.plain = false;
    chain.spelled ||= next!.spelled;
    if (chain.text.length > maxLength) return null;
  }
  return chain;
}

/** Reads a chain backwards from `end`, the word before "at". */
function chainBackward(words: Word[], end: number): Chain | null {
  const last = words[end];
  if (!last || !isWord(last.word) || NOT_A_MAILBOX.has(last.word)) return null;
  const chain: Chain = { text: last.word, start: end, end, plain: !last.spelled && !last.word.includes("."), spelled: last.spelled };
  for (let joiner = connector(words[chain.start - 1]); joiner !== undefined; joiner = connector(words[chain.start - 1])) {
    const previous = words[chain.start - 2];
    if (!isWord(previous?.word)) return null; // "[inaudible] dot doe": the start of the address is missing
    chain.text = previous!.word + joiner + chain.text;
    chain.start -= 2;
    chain.plain = false;
    if (chain.text.length > 64) return null;
  }
  return chain;
}

function passing(local: Chain, domain: string, before: string | undefined): Found["passing"] {
  if (!local.plain) return "no";
  if (SENTENCE_WORDS.has(local.text) || DETERMINERS.has(before ?? "")) return "yes";
  const labels = domain.split(".");
  const suffix = labels.length >= 3 && labels.at(-1)!.length === 2 && SECOND_LEVEL.has(labels.at(-2)!) ? 2 : 1;
  const subdomain = labels.length > suffix + 1 && !MAIL_LABELS.has(labels[0]!);
  return HOST_LABELS.has(labels[0]!) || subdomain ? "maybe" : "no";
}

/**
 * Every written address and every "local at domain" phrase, in order. Read from the end so that in
 * "email me at jane dot doe at acme dot com" the later, longer reading claims "jane dot doe" first.
 */
export function findEmails(words: Word[]): Found[] {
  const found: Found[] = [];
  let claimed = words.length;
  for (let at = words.length - 1; at >= 0; at--) {
    const token = words[at]!;
    if (token.written) {
      found.push({ value: token.word, start: at, end: at, passing: "no" });
      claimed = at;
      continue;
    }
    if (token.word !== "at") continue;
    const domain = chainForward(words, at + 1, 253);
    if (!domain || domain.end >= claimed) continue;
    const after = words[domain.end + 1]?.word;
    if (after === "slash" || after === "colon" || after?.startsWith("/")) continue; // a URL's host and path
    const local = chainBackward(words, at - 1);
    const value = local && asEmail(local.text, domain.text);
    if (!local || !value) continue;
    found.push({ value, start: local.start, end: domain.end, passing: passing(local, domain.text, words[local.start - 1]?.word) });
    claimed = local.start;
  }
  return found.reverse();
}

// ---- phone ----

const DIGIT_WORDS = new Map(Object.entries({
  zero: "0", oh: "0", o: "0", nought: "0", one: "1", two: "2", three: "3", four: "4", for: "4",
  five: "5", six: "6", seven: "7", eight: "8", nine: "9", ten: "10", eleven: "11", twelve: "12", thirteen: "13",
  fourteen: "14", fifteen: "15", sixteen: "16", seventeen: "17", eighteen: "18", nineteen: "19",
}));
const TENS = new Map(Object.entries({ twenty: "2", thirty: "3", forty: "4", fifty: "5", sixty: "6", seventy: "7", eighty: "8", ninety: "9" }));
const REPEAT_WORDS = new Map(Object.entries({ double: 2, triple: 3 }));
const AMBIGUOUS = new Set(["o", "oh", "for"]);
const MIN_PHONE_DIGITS = 7;
const MAX_PHONE_DIGITS = 15;

export function phoneWords(text: string): string[] {
  return text
    .replace(/[(),]/g, " ")
    .replace(/(\d)[-.](?=\d)/g, "$1 ")
    .split(/\s+/)
    .map((word) => trimEnds(word, ".:;!?-"))
    .filter(Boolean);
}

const plainDigit = (token: string | undefined) =>
  token !== undefined && (/^\d+$/.test(token) || TENS.has(token) || (DIGIT_WORDS.has(token) && !AMBIGUOUS.has(token)));

/** The digits a word stands for here: "twenty" is "2" before "three", "20" otherwise. */
function digitsOf(token: string, next: string | undefined, inNumber: boolean): string | null {
  if (/^\d+$/.test(token)) return token;
  const tens = TENS.get(token);
  if (tens) return tens + (/^[1-9]$/.test(DIGIT_WORDS.get(next ?? "") ?? "") ? "" : "0");
  if (inNumber && token === "hundred") return "00";
  if (inNumber && token === "thousand") return "000";
  // "oh" and "for" are digits only among digits: "oh seven seven", not "thanks for calling".
  const digit = DIGIT_WORDS.get(token);
  return digit !== undefined && (!AMBIGUOUS.has(token) || inNumber || plainDigit(next)) ? digit : null;
}

/**
 * Every run of spoken or written digits of a phone number's length, "plus" only at its start. Separators
 * people use between groups (dashes, dots, "and") do not break a run; any other word does.
 */
export function findPhones(words: string[]): Found[] {
  const found: Found[] = [];
  let run = "";
  let plus = false;
  let repeat = 1;
  let start = -1;
  const finish = (end: number) => {
    if (run.length >= MIN_PHONE_DIGITS && run.length <= MAX_PHONE_DIGITS) found.push({ value: `${plus ? "+" : ""}${run}`, start, end, passing: "no" });
    run = "";
    plus = false;
    repeat = 1;
    start = -1;
  };
  words.forEach((token, i) => {
    if (token === "plus" || token === "+" || /^\+\d+$/.test(token)) {
      finish(i - 1);
      plus = true;
      start = i;
      run = token.replace(/\D/g, "");
      return;
    }
    const digits = digitsOf(token, words[i + 1], run.length > 0 || plus || repeat > 1);
    if (digits !== null) {
      if (start < 0) start = i;
      run += digits.repeat(repeat);
      repeat = 1;
    } else if (REPEAT_WORDS.has(token)) {
      if (start < 0) start = i;
      repeat = REPEAT_WORDS.get(token)!;
    } else if (token !== "and") {
      finish(i - 1);
    }
  });
  finish(words.length - 1);
  return found;
}
