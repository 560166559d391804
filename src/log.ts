import { pino, type Logger } from "pino";
import type { IncomingMessage } from "node:http";

/**
 * Phone numbers and email addresses never reach the logs whole (docs/architecture.md, "Rules that keep callers safe"). Only the
 * fields we log ourselves are masked (the message, `from`, `to`, `op`, `err`): a log call never walks
 * into request objects, bodies or headers, so what a stranger sends costs nothing to log. The maskers are
 * single left-to-right scans (no backtracking regexes), and a field longer than MASK_LIMIT is cut there.
 */
export const MASK_LIMIT = 2000;

const code = (text: string, i: number) => (i < text.length ? text.charCodeAt(i) : -1);
const isDigit = (c: number) => c >= 48 && c <= 57;
const isLetter = (c: number) => (c >= 65 && c <= 90) || (c >= 97 && c <= 122);
const isWord = (c: number) => isDigit(c) || isLetter(c) || c === 95; // \w
// The characters of an address's local part, [A-Za-z0-9._%+-], and of its domain, [A-Za-z0-9.-].
const isDomain = (c: number) => isDigit(c) || isLetter(c) || c === 46 || c === 45;
const isLocal = (c: number) => isDomain(c) || c === 95 || c === 37 || c === 43;
// What may sit between a phone number's digits: white space, ( ) . -
const isPhoneSeparator = (c: number) => c === 32 || (c >= 9 && c <= 13) || c === 160 || c === 40 || c === 41 || c === 46 || c === 45;

/** Where an address's domain (name.tld, tld of 2+ letters) starting at `from` ends, or -1. */
function domainEnd(text: string, from: number): number {
  let end = -1;
  let i = from;
  while (isDomain(code(text, i))) {
    if (code(text, i) === 46 && i > from) {
      let j = i + 1;
      while (isLetter(code(text, j))) j++;
      if (j - i > 2) end = j;
      i = j;
    } else i++;
  }
  return end;
}

/** jane.doe@partner.com -> j***@partner.com. Each character is read at most twice. */
function maskEmails(text: string): string {
  let out = "";
  let copied = 0;
  for (let at = text.indexOf("@"); at !== -1; at = text.indexOf("@", at + 1)) {
    let start = at;
    while (start > copied && isLocal(code(text, start - 1))) start--;
    if (start === at) continue;
    const end = domainEnd(text, at + 1);
    if (end === -1) continue;
    out += `${text.slice(copied, start + 1)}***@${text.slice(at + 1, end)}`;
    copied = end;
  }
  return out + text.slice(copied);
}

/**
 * A phone number: + and 7 or more digits, or 9 or more digits on their own (dates have 8), with separators
 * between them, never part of a longer token such as a CallSid. Keeps the last two digits.
 */
function maskPhones(text: string): string {
  let out = "";
  let copied = 0;
  let i = 0;
  while (i < text.length) {
    const c = code(text, i);
    const plus = c === 43 && isDigit(code(text, i + 1));
    const before = code(text, i - 1);
    if (!(plus || isDigit(c)) || isWord(before) || before === 43) {
      i++;
      continue;
    }
    let runEnd = plus ? i + 1 : i;
    while (isDigit(code(text, runEnd)) || isPhoneSeparator(code(text, runEnd))) runEnd++;
    // The number ends at its last digit that is not glued to a word ("5550101234x" is a token, not a number).
    let end = runEnd;
    while (end > i && !(isDigit(code(text, end - 1)) && !isWord(code(text, end)))) end--;
    const digits = text.slice(i, end).replace(/\D/g, "");
    if (digits.length >= (plus ? 7 : 9)) {
      out += `${text.slice(copied, i)}${plus ? "+" : ""}${"*".repeat(digits.length - 2)}${digits.slice(-2)}`;
      copied = end;
    }
    // A later start inside the same run has fewer digits and the same end: it cannot be a number either.
    i = runEnd;
  }
  return out + text.slice(copied);
}

/** Masks phone numbers and email addresses in the first `limit` characters; the rest is cut, not logged. */
export function maskText(text: string, limit = MASK_LIMIT): string {
  if (text.length <= limit) return maskPhones(maskEmails(text));
  return `${maskPhones(maskEmails(text.slice(0, limit)))}… [${text.length - limit} more characters not logged]`;
}

const maskString = (value: unknown) => (typeof value === "string" ? maskText(value) : value);

/** An error as logged: its type, masked message and stack, and its code; never its other properties (an
 * HTTP client's error may hold the whole request, a body parser's the whole body). */
function serializeError(value: unknown): unknown {
  if (typeof value !== "object" || value === null || !("message" in value)) return maskString(value);
  const error = value as { type?: unknown; name?: unknown; message?: unknown; stack?: unknown; code?: unknown };
  return {
    type: String(error.type ?? error.name ?? "Error"),
    message: maskText(String(error.message)),
    stack: typeof error.stack === "string" ? maskText(error.stack, 4 * MASK_LIMIT) : undefined,
    code: typeof error.code === "string" || typeof error.code === "number" ? error.code : undefined,
  };
}

/** Our own log fields, masked by pino's serializers (applied to top-level fields only). */
export const logSerializers = {
  err: serializeError,
  from: maskString,
  to: maskString,
  // A journal write as data: logged as (bounded, masked) JSON, since it holds numbers and timeline text.
  op: (op: unknown) => (typeof op === "object" && op !== null ? maskText(JSON.stringify(op)) : maskString(op)),
};

// What the request log (request-log.ts) hangs on a request and its response, for the lines logged about it.
declare module "node:http" {
  interface IncomingMessage {
    /** Twilio's idempotency token, the caller's x-request-id, or a new UUID: on every line about this request. */
    id?: string;
    /** The app's logger, for requestLogger (below) to bind `reqId` to when a line about the request is logged. */
    appLog?: Logger;
    /** That logger with `reqId` bound, once made. */
    boundLog?: Logger;
  }
  interface ServerResponse {
    /** An error our error handler answered 500 for, kept for the request's line. */
    err?: unknown;
  }
}

/**
 * The request's logger, with its `reqId` bound: made on first use (most requests never log anything of their
 * own), from the app's logger the request log (request-log.ts) left on the request. Undefined for a request
 * that did not pass through the request log.
 */
export function requestLogger(req: IncomingMessage): Logger | undefined {
  return (req.boundLog ??= req.appLog?.child({ reqId: req.id }));
}

/**
 * The request lines' `req` and `res` (request-log.ts): method, path without the query (query strings and
 * bodies carry phone numbers, headers carry tokens), the real status code. They are handed summaries made
 * for them, so nothing else of the request is read.
 */
export const httpSerializers = {
  req: (req: { id: unknown; method: string; url: string }) => ({ id: req.id, method: req.method, path: maskText(req.url.split("?")[0]!, 200) }),
  res: (res: { statusCode: number | null }) => ({ statusCode: res.statusCode }),
};

export function createLogger(level: string, destination?: NodeJS.WritableStream): Logger {
  return pino(
    {
      level,
      redact: { paths: ["req.headers.authorization", "req.headers.cookie", "token", "authToken", "*.token"], censor: "[redacted]" },
      serializers: logSerializers,
      hooks: {
        logMethod(args, method) {
          method.apply(this, args.map((arg) => (typeof arg === "string" ? maskText(arg) : arg)) as Parameters<typeof method>);
        },
      },
    },
    destination as pino.DestinationStream | undefined,
  );
}
