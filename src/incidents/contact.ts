/**
 * Finds the follow-up contact a caller left in a voicemail transcript. Transcribers write what people say:
 * "jane dot doe at partner dot com", "plus four four seven seven double oh...", as well as written forms.
 */
export interface FollowUpContact {
  email: string | null;
  phone: string | null;
}

const DIGIT_WORDS: Record<string, string> = {
  zero: "0", oh: "0", o: "0", nought: "0", one: "1", two: "2", three: "3", four: "4", for: "4",
  five: "5", six: "6", seven: "7", eight: "8", nine: "9",
};
const REPEAT_WORDS: Record<string, number> = { double: 2, triple: 3 };
const EMAIL_CONNECTORS: Record<string, string> = {
  dot: ".", period: ".", point: ".", underscore: "_", dash: "-", hyphen: "-", minus: "-",
};
const WRITTEN_EMAIL = /[a-z0-9][a-z0-9._%+-]*@[a-z0-9-]+(?:\.[a-z0-9-]+)*\.[a-z]{2,}/i;
const MIN_PHONE_DIGITS = 7;
const MAX_PHONE_DIGITS = 15;

export function extractContact(transcript: string): FollowUpContact {
  return { email: findEmail(transcript), phone: findPhone(transcript) };
}

function findEmail(text: string): string | null {
  const written = WRITTEN_EMAIL.exec(text);
  if (written) return trimTrailingDot(written[0].toLowerCase());
  return findSpokenEmail(joinSpelledLetters(words(text)));
}

/** Splits into lower-case words, keeping the characters an address or number may contain inside a word. */
function words(text: string): string[] {
  return text
    .toLowerCase()
    .replace(/[,;:!?"()]/g, " ")
    .split(/\s+/)
    .map((word) => word.replace(/^[.'-]+|[.'-]+$/g, ""))
    .filter(Boolean);
}

/** "j a n e" -> "jane": callers spell names letter by letter. */
function joinSpelledLetters(tokens: string[]): string[] {
  const out: string[] = [];
  let run: string[] = [];
  const flush = () => {
    if (run.length >= 2) out.push(run.join(""));
    else out.push(...run);
    run = [];
  };
  const letter = (token: string | undefined) => token !== undefined && /^[a-z]$/.test(token);
  tokens.forEach((token, i) => {
    // "a" and "i" are words on their own; they are letters only inside a spelled run.
    const spelled = letter(token) && (!["a", "i"].includes(token) || run.length > 0 || letter(tokens[i + 1]));
    if (spelled) run.push(token);
    else {
      flush();
      out.push(token);
    }
  });
  flush();
  return out;
}

const isWord = (token: string) => /^[a-z0-9][a-z0-9.-]*$/.test(token) && !(token in EMAIL_CONNECTORS) && token !== "at";

function findSpokenEmail(tokens: string[]): string | null {
  for (let at = tokens.length - 1; at > 0; at--) {
    if (tokens[at] !== "at") continue;
    const domain = readDomain(tokens, at + 1);
    if (!domain) continue;
    const local = readLocalPart(tokens, at - 1);
    if (local) return `${local}@${domain}`;
  }
  return null;
}

/** partner dot com / partner.com / mail dot partner dot co dot uk */
function readDomain(tokens: string[], start: number): string | null {
  const first = tokens[start];
  if (!first || !isWord(first)) return null;
  let domain = first;
  let i = start + 1;
  while (i + 1 < tokens.length && EMAIL_CONNECTORS[tokens[i]!] && isWord(tokens[i + 1]!)) {
    domain += EMAIL_CONNECTORS[tokens[i]!]! + tokens[i + 1];
    i += 2;
  }
  return /\.[a-z]{2,}$/.test(domain) ? domain : null;
}

/** Reads backwards from the word before "at": jane dot doe / jane underscore doe / jane.doe */
function readLocalPart(tokens: string[], end: number): string | null {
  const last = tokens[end];
  if (!last || !isWord(last)) return null;
  let local = last;
  let i = end - 1;
  while (i - 1 >= 0 && EMAIL_CONNECTORS[tokens[i]!] && isWord(tokens[i - 1]!)) {
    local = tokens[i - 1] + EMAIL_CONNECTORS[tokens[i]!]! + local;
    i -= 2;
  }
  return local;
}

function trimTrailingDot(value: string): string {
  return value.replace(/\.+$/, "");
}

/**
 * The longest run of spoken or written digits, "plus" only at its start. Separators people use between
 * groups (dashes, dots, "and") do not break a run; any other word does.
 */
function findPhone(text: string): string | null {
  const tokens = text
    .toLowerCase()
    .replace(/[(),]/g, " ")
    .replace(/(\d)[-.](?=\d)/g, "$1 ")
    .split(/\s+/)
    .map((word) => word.replace(/^[.:;!?-]+|[.:;!?-]+$/g, ""))
    .filter(Boolean);
  let best: string | null = null;
  let run = "";
  let plus = false;
  let repeat = 1;
  const finish = () => {
    if (run.length >= MIN_PHONE_DIGITS && run.length <= MAX_PHONE_DIGITS && (!best || run.length > best.replace("+", "").length)) {
      best = `${plus ? "+" : ""}${run}`;
    }
    run = "";
    plus = false;
    repeat = 1;
  };
  const AMBIGUOUS = new Set(["o", "oh", "for"]);
  const plainDigit = (token: string | undefined) =>
    token !== undefined && (/^\d+$/.test(token) || (token in DIGIT_WORDS && !AMBIGUOUS.has(token)));
  tokens.forEach((token, i) => {
    const written = /^\+?\d+$/.test(token) ? token : null;
    if (token === "plus" || written?.startsWith("+")) {
      finish();
      plus = true;
      if (written) run += written.slice(1);
      return;
    }
    // "oh" and "for" are digits only among digits: "oh seven seven", not "thanks for calling".
    const digitWord = token in DIGIT_WORDS && (!AMBIGUOUS.has(token) || run.length > 0 || plus || repeat > 1 || plainDigit(tokens[i + 1]));
    if (written || digitWord) {
      run += (written ?? DIGIT_WORDS[token]!).repeat(repeat);
      repeat = 1;
    } else if (token in REPEAT_WORDS) {
      repeat = REPEAT_WORDS[token]!;
    } else if (token !== "and") {
      finish();
    }
  });
  finish();
  return best;
}
