import type { Redis } from "ioredis";
import { z } from "zod";
import { severitySchema, channelSchema } from "../call/mail.ts";
import { outcomeSchema } from "../call/records.ts";
import { caseSchema } from "../store/followup-state.ts";
import { RETENTION_SECONDS, type RedisKeys } from "../store/redis.ts";

/**
 * What staff narrow the incident list by (the dashboard, its CSV, a partner's page): each field optional,
 * dates are UTC days, inclusive. `q` finds an incident id, a partner's name or a number (any part of each).
 */
export const incidentFilterSchema = z.object({
  drill: z.enum(["all", "exclude", "only"], { error: "must be only, exclude or all" }).default("all"),
  door: channelSchema.optional(),
  outcome: outcomeSchema.optional(),
  severity: severitySchema.optional(),
  case: caseSchema.shape.state.unwrap().optional(),
  from: z.iso.date("a date, YYYY-MM-DD").optional(),
  to: z.iso.date("a date, YYYY-MM-DD").optional(),
  q: z.string().trim().max(100, "at most 100 characters").optional(),
  /** A partner's name, exactly (any case): their page's lists. */
  partner: z.string().trim().max(200).optional(),
});
export type IncidentFilter = z.infer<typeof incidentFilterSchema>;

/** Where a page of results ended: the index score (raised at, ms) and id of its last incident. */
export const cursorSchema = z
  .string()
  .regex(/^\d+_[\w-]+$/, "a cursor from the page's own link")
  .transform((text) => ({ score: Number(text.slice(0, text.indexOf("_"))), id: text.slice(text.indexOf("_") + 1) }));
export type Cursor = z.infer<typeof cursorSchema>;
export const cursorText = (cursor: Cursor) => `${cursor.score}_${cursor.id}`;

/** The few fields a filter looks at, read for a batch of ids in one round trip (two for calls). */
interface Row {
  id: string;
  door: "phone" | "email";
  severity: string;
  outcome: string | null;
  drill: boolean;
  caller: string;
  partner: string | null;
  caseState: string;
}

export interface SearchPage {
  ids: string[];
  /** Where the next (older) page starts; null when nothing older matches (the page looks one match past its end to know). */
  next: Cursor | null;
  /** How many incidents were looked at; `capped` when the page stopped at the scan limit before filling. */
  scanned: number;
  capped: boolean;
}

const BATCH = 200;
/** What each start-up indexes again: longer than a rolling deploy takes. */
const RECENT_MS = 3_600_000;
const DAY_MS = 86_400_000;
const FIELDS = ["id", "channel", "severity", "outcome", "callSid", "from", "partner", "drill", "case:state"] as const;

/**
 * Pages through the incidents index (a sorted set by time raised, written once with the incident by
 * raise-once.lua and raise-case.lua), newest first, keeping those the filter matches. Dates narrow the
 * index range; the rest is checked on a few fields per incident, read in batches, up to `maxScan` incidents
 * per page, so a rare match among thousands still answers quickly (with a cursor to look further). A page
 * looks for `limit + 1` matches: a page of exactly `limit` with nothing older offers no cursor to an empty
 * page. (A full page whose look past its end ran into `maxScan` keeps its cursor: older ones may match.)
 */
export class IncidentSearch {
  /** Once seen complete, the partner indexes stay complete: every raise writes its partner's entry. */
  private partnerIndexesComplete = false;

  constructor(
    private readonly redis: Redis,
    private readonly keys: RedisKeys,
  ) {}

  /**
   * The index a filter walks: a partner's own (index-partner.lua) once it holds every incident, so a partner
   * with few incidents among many is found without looking at the others' (the cost must not grow with
   * history); everyone's otherwise. The filter is still checked on each row, so either gives the same page.
   */
  private async indexFor(filter: IncidentFilter): Promise<string> {
    if (!filter.partner) return this.keys.incidents();
    // Lua's string.lower folds ASCII letters only: a name with others ("ÖBB Infra" is indexed as "Öbb infra")
    // may be typed in another case than its index's, so such a filter walks the main index, matched in any case.
    if (!/^[\x00-\x7f]*$/.test(filter.partner)) return this.keys.incidents();
    this.partnerIndexesComplete ||= (await this.redis.exists(this.keys.partnerIndexComplete())) === 1;
    return this.partnerIndexesComplete ? this.keys.partnerIncidents(filter.partner) : this.keys.incidents();
  }

  /**
   * Puts every incident raised before the partner indexes existed into its partner's, once per Redis (then
   * marks them complete); until then searches by partner walk everyone's index. After that, each start-up
   * indexes the incidents of the last RECENT_MS again: those an instance still on older code raised during a
   * rolling deploy, after the first walk. Newest first by rank, so an incident raised meanwhile (indexed by
   * its raise) only shifts the walk onto one already seen, and one trimmed away at the old end shifts nothing.
   * Safe to run on several instances at once: ZADD is idempotent.
   */
  async indexPartners(now = Date.now()): Promise<{ indexed: number; since: number | null }> {
    const complete = (await this.redis.exists(this.keys.partnerIndexComplete())) === 1;
    const since = complete ? now - RECENT_MS : null;
    let indexed = 0;
    for (let offset = 0; ; offset += BATCH) {
      const entries = withScores(await this.redis.zrevrange(this.keys.incidents(), offset, offset + BATCH - 1, "WITHSCORES"));
      const wanted = since === null ? entries : entries.filter((e) => e.score >= since);
      const rows = await this.rows(wanted.map((e) => e.id));
      const writes = this.redis.pipeline();
      rows.forEach((row, i) => {
        if (!row?.partner) return;
        writes.zadd(this.keys.partnerIncidents(row.partner), wanted[i]!.score, row.id).expire(this.keys.partnerIncidents(row.partner), RETENTION_SECONDS);
        indexed++;
      });
      if (writes.length) await writes.exec();
      if (entries.length < BATCH || wanted.length < entries.length) break;
    }
    if (!complete) await this.redis.set(this.keys.partnerIndexComplete(), new Date(now).toISOString());
    this.partnerIndexesComplete = true;
    return { indexed, since };
  }

  async page(filter: IncidentFilter, { after = null, limit = 50, maxScan = 5000 }: { after?: Cursor | null; limit?: number; maxScan?: number } = {}): Promise<SearchPage> {
    const top = filter.to ? Date.parse(`${filter.to}T00:00:00Z`) + DAY_MS - 1 : Infinity;
    const bottom = filter.from ? Date.parse(`${filter.from}T00:00:00Z`) : -Infinity;
    let max = after ? Math.min(after.score, top) : top;
    // Members of one score come in reverse lexical order: those at the cursor's score and not below its id were shown.
    const shown = (score: number, id: string) => after !== null && score === after.score && id >= after.id;
    let offset = 0;
    const index = await this.indexFor(filter);
    const ids: string[] = [];
    let scanned = 0;
    let last: Cursor | null = null;
    let shownLast: Cursor | null = null;
    for (;;) {
      if (scanned >= maxScan) return ids.length === limit ? { ids, next: shownLast, scanned, capped: false } : { ids, next: last, scanned, capped: true };
      const entries = withScores(await this.redis.zrevrangebyscore(index, bound(max), bound(bottom), "WITHSCORES", "LIMIT", offset, BATCH));
      const fresh = entries.filter((e) => !shown(e.score, e.id));
      const rows = await this.rows(fresh.map((e) => e.id));
      for (const [i, entry] of fresh.entries()) {
        scanned += 1;
        last = entry;
        const row = rows[i];
        if (!row || !matches(row, filter)) continue;
        // One match past the page: there is an older page, and it starts after this page's last incident.
        if (ids.length === limit) return { ids, next: shownLast, scanned, capped: false };
        ids.push(entry.id);
        shownLast = entry;
      }
      if (entries.length < BATCH) return { ids, next: null, scanned, capped: false };
      const lastScore = entries.at(-1)!.score;
      offset = lastScore === max ? offset + entries.length : entries.filter((e) => e.score === lastScore).length;
      max = lastScore;
    }
  }

  private async rows(ids: string[]): Promise<(Row | null)[]> {
    if (!ids.length) return [];
    const pipeline = this.redis.pipeline();
    for (const id of ids) pipeline.hmget(this.keys.incident(id), ...FIELDS);
    const hashes = ((await pipeline.exec()) ?? []).map(([, value]) => value as (string | null)[] | null);
    const calls = hashes.map((h) => (h && h[1] !== "email" && h[4] ? h[4] : null));
    const metas = this.redis.pipeline();
    // A session rebuilt from a later webhook keeps its meta apart (sessions.ts): the real one first, else that.
    for (const callSid of calls) if (callSid) metas.hmget(this.keys.call(callSid), "meta", "meta:reconstructed");
    const metaValues = ((await metas.exec()) ?? []).map(([, value]) => ((value as (string | null)[] | null) ?? []).find((json) => json !== null) ?? null);
    let m = 0;
    return hashes.map((h, i) => {
      if (!h?.[0]) return null;
      const [id, channel, severity, outcome, , from, partner, drill, caseState] = h;
      const base = { id: id!, severity: severity ?? "SEV1", outcome: outcome ?? null, caseState: caseState ?? "open" };
      if (channel === "email") return { ...base, door: "email", drill: drill === "true", caller: from ?? "", partner: partnerName(partner) };
      if (!calls[i]) return null;
      const meta = parseMeta(metaValues[m++] ?? null);
      return { ...base, door: "phone", drill: meta?.drill ?? false, caller: meta?.from ?? "", partner: meta?.partner?.name ?? null };
    });
  }
}

/** A WITHSCORES reply (id, score, id, score…) as entries. */
function withScores(raw: string[]): Cursor[] {
  const entries: Cursor[] = [];
  for (let i = 0; i + 1 < raw.length; i += 2) entries.push({ id: raw[i]!, score: Number(raw[i + 1]) });
  return entries;
}

const bound = (ms: number) => (ms === Infinity ? "+inf" : ms === -Infinity ? "-inf" : String(ms));

function partnerName(json: string | null | undefined): string | null {
  if (!json) return null;
  try {
    return (JSON.parse(json) as { name?: string }).name ?? null;
  } catch {
    return null;
  }
}

function parseMeta(json: string | null): { drill?: boolean; from?: string; partner?: { name?: string } | null } | null {
  if (!json) return null;
  try {
    return JSON.parse(json) as { drill?: boolean; from?: string; partner?: { name?: string } | null };
  } catch {
    return null;
  }
}

function matches(row: Row, f: IncidentFilter): boolean {
  if (f.drill !== "all" && (f.drill === "only") !== row.drill) return false;
  if (f.door && row.door !== f.door) return false;
  if (f.outcome && row.outcome !== f.outcome) return false;
  if (f.severity && row.severity !== f.severity) return false;
  if (f.case && row.caseState !== f.case) return false;
  if (f.partner && row.partner?.toLowerCase() !== f.partner.toLowerCase()) return false;
  if (f.q) {
    const q = f.q.toLowerCase();
    const digits = q.replace(/[^\d]/g, "");
    const hit =
      row.id.toLowerCase().includes(q) ||
      (row.partner?.toLowerCase().includes(q) ?? false) ||
      row.caller.toLowerCase().includes(q) ||
      (digits.length >= 3 && row.caller.replace(/[^\d]/g, "").includes(digits));
    if (!hit) return false;
  }
  return true;
}
