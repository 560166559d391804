import { pino, type Logger } from "pino";

const EMAIL = /([A-Za-z0-9._%+-])[A-Za-z0-9._%+-]*@([A-Za-z0-9.-]+\.[A-Za-z]{2,})/g;
// A phone number: + and 7 or more digits, or 9 or more digits on their own (dates have 8), never part of a
// longer token such as a CallSid.
const PHONE = /(?<![\w+])(?:\+\d[\d\s().-]{5,}\d|\d[\d\s().-]{7,}\d)(?![\w])/g;

/** Phone numbers and email addresses never reach the logs whole (docs/architecture.md, "Rules that keep callers safe"). */
export function maskText(text: string): string {
  return text
    .replace(EMAIL, (_match, first: string, domain: string) => `${first}***@${domain}`)
    .replace(PHONE, (match) => {
      const digits = match.replace(/\D/g, "");
      if (digits.length < (match.startsWith("+") ? 7 : 9)) return match;
      return `${match.startsWith("+") ? "+" : ""}${"*".repeat(digits.length - 2)}${digits.slice(-2)}`;
    });
}

function maskDeep(value: unknown, depth = 0): unknown {
  if (typeof value === "string") return maskText(value);
  if (depth > 5 || value === null || typeof value !== "object") return value;
  if (value instanceof Error) return { type: value.name, message: maskText(value.message), stack: value.stack && maskText(value.stack) };
  if (Array.isArray(value)) return value.map((item) => maskDeep(item, depth + 1));
  return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, maskDeep(item, depth + 1)]));
}

export function createLogger(level: string, destination?: NodeJS.WritableStream): Logger {
  return pino(
    {
      level,
      redact: { paths: ["req.headers.authorization", "req.headers.cookie", "token", "authToken", "*.token"], censor: "[redacted]" },
      formatters: { log: (object) => maskDeep(object) as Record<string, unknown> },
      hooks: {
        logMethod(args, method) {
          method.apply(this, args.map((arg) => (typeof arg === "string" ? maskText(arg) : arg)) as Parameters<typeof method>);
        },
      },
    },
    destination as pino.DestinationStream | undefined,
  );
}
