import type { Redis } from "ioredis";
import { z } from "zod";
import type { Role } from "../../call/staff.ts";
import type { StaffKeys } from "./sessions.ts";

/**
 * Entries are kept at least this long: a year and a month, so a yearly review still finds last year's
 * changes. Older ones are trimmed (approximately, by Redis, on later writes); nothing else removes any.
 */
export const AUDIT_RETENTION_DAYS = 400;

/**
 * Who acted: a person, CONSOLE_TOKEN, or the line itself (start-up reconciling STAFF_FILE); role null when
 * there is none (the line, or an email that failed to sign in and is nobody's).
 */
export interface AuditActor {
  email: string;
  name: string;
  role: Role | null;
  via: string;
}

export interface AuditChange {
  action: string;
  target?: string;
  before?: unknown;
  after?: unknown;
}

const json = z.string().transform((text) => (text === "" ? null : (JSON.parse(text) as unknown)));
const entrySchema = z.object({
  at: z.string(),
  actor: z.string(),
  actorName: z.string(),
  role: z.string(),
  via: z.string(),
  action: z.string(),
  target: z.string(),
  before: json,
  after: json,
});
export type AuditEntry = z.infer<typeof entrySchema> & { id: string };

export const auditFilterSchema = z.object({
  person: z.string().trim().toLowerCase().optional(),
  action: z.string().trim().optional(),
  from: z.iso.date("a date, YYYY-MM-DD").optional(),
  to: z.iso.date("a date, YYYY-MM-DD").optional(),
});
export type AuditFilter = z.infer<typeof auditFilterSchema>;

/**
 * The audit trail: an append-only Redis stream (XADD), so it survives restarts as Redis does (AOF in compose)
 * and every instance of the line writes to the same one. Each entry: who, when, what, on what, before, after.
 */
export class AuditTrail {
  constructor(
    private readonly redis: Redis,
    private readonly keys: StaffKeys,
    private readonly now: () => Date = () => new Date(),
  ) {}

  async record(actor: AuditActor, change: AuditChange): Promise<string> {
    const at = this.now();
    const oldest = at.getTime() - AUDIT_RETENTION_DAYS * 86_400_000;
    const fields = {
      at: at.toISOString(),
      actor: actor.email,
      actorName: actor.name,
      role: actor.role ?? "",
      via: actor.via,
      action: change.action,
      target: change.target ?? "",
      before: change.before === undefined ? "" : JSON.stringify(change.before),
      after: change.after === undefined ? "" : JSON.stringify(change.after),
    };
    const id = await this.redis.xadd(this.keys.audit(), "MINID", "~", String(oldest), "*", ...Object.entries(fields).flat());
    return id!;
  }

  /** Newest first, at most `limit`, matching every filter given: person (part of the actor's email or name), action (its start), dates (UTC, inclusive). */
  async list(filter: AuditFilter = {}, limit = 200): Promise<AuditEntry[]> {
    let end = filter.to ? String(Date.parse(`${filter.to}T00:00:00Z`) + 86_400_000 - 1) : "+";
    const start = filter.from ? String(Date.parse(`${filter.from}T00:00:00Z`)) : "-";
    const found: AuditEntry[] = [];
    // Filters on person and action are applied here, a page at a time, reading at most SCAN_LIMIT entries.
    for (let read = 0; read < SCAN_LIMIT && found.length < limit; read += PAGE) {
      const page = await this.redis.xrevrange(this.keys.audit(), end, start, "COUNT", PAGE);
      for (const [id, flat] of page) {
        const entry = entrySchema.safeParse(Object.fromEntries(pairs(flat)));
        if (entry.success && matches(entry.data, filter)) found.push({ ...entry.data, id });
        if (found.length === limit) break;
      }
      if (page.length < PAGE) break;
      end = `(${page[page.length - 1]![0]}`;
    }
    return found;
  }
}

const PAGE = 500;
const SCAN_LIMIT = 50_000;

function pairs(flat: string[]): [string, string][] {
  const out: [string, string][] = [];
  for (let i = 0; i + 1 < flat.length; i += 2) out.push([flat[i]!, flat[i + 1]!]);
  return out;
}

function matches(entry: z.infer<typeof entrySchema>, filter: AuditFilter): boolean {
  if (filter.person && !`${entry.actor} ${entry.actorName}`.toLowerCase().includes(filter.person)) return false;
  if (filter.action && !entry.action.startsWith(filter.action)) return false;
  return true;
}
