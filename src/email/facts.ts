import type { MailFacts } from "../call/mail.ts";

/**
 * What engineers search our systems with, read out of a partner's message: x-trace-id values (UUIDs, and
 * the 16 to 32 hex digit ids the platform also issues, when written near the word "trace"), endpoints
 * (`POST /v1/payments`), the environment, and ISO timestamps.
 */
const UUID = /\b[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\b/gi;
const HEX_ID = /\b[0-9a-f]{16,32}\b/gi;
const ENDPOINT = /\b(GET|POST|PUT|PATCH|DELETE|HEAD|OPTIONS)\s+(\/[\w\-./{}:%~]*)/g;
const ENVIRONMENT = /\b(production|sandbox)\b/gi;
const TIMESTAMP = /\b\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:?\d{2})?/g;
/** How far after the word "trace" (x-trace-id: …, trace id …) an id counts, and how far before it. */
const AFTER_TRACE = 40;
const BEFORE_TRACE = 20;
const LIMIT = 50;

const unique = (values: string[]) => [...new Map(values.map((v) => [v.toLowerCase(), v])).values()].slice(0, LIMIT);

export function extractFacts(text: string): MailFacts {
  const traceIds = [...text.matchAll(UUID)].map((m) => m[0]);
  const traces = [...text.matchAll(/trace/gi)].map((m) => m.index);
  for (const m of text.matchAll(HEX_ID)) {
    // A hex id has letters: a run of digits alone may be a card or account number, not a trace id.
    if (!/[a-f]/i.test(m[0]) || !/\d/.test(m[0])) continue;
    if (traces.some((t) => (m.index > t && m.index - t <= AFTER_TRACE) || (m.index < t && t - (m.index + m[0].length) <= BEFORE_TRACE))) traceIds.push(m[0]);
  }
  return {
    traceIds: unique(traceIds.map((id) => id.toLowerCase())),
    endpoints: unique([...text.matchAll(ENDPOINT)].map((m) => `${m[1]} ${m[2]!.replace(/[.,;:]+$/, "")}`)),
    environments: unique([...text.matchAll(ENVIRONMENT)].map((m) => m[1]!.toLowerCase())) as MailFacts["environments"],
    timestamps: unique([...text.matchAll(TIMESTAMP)].map((m) => m[0])),
  };
}
