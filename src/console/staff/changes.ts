import type { Queue } from "bullmq";
import type { Request, RequestHandler, Response } from "express";
import type { Actor } from "../../call/staff.ts";
import { requestLogger } from "../../log.ts";
import type { AuditChange, AuditTrail } from "./audit.ts";

/** What the audit trail reads to show a change's before and after. */
export interface ChangeSources {
  roster: { current(): Promise<unknown> };
  followup: { read(incidentId: string): Promise<{ case: unknown }> };
  queues: { all(): Queue[] };
  oncall: { overrides: { list(): Promise<{ id: string }[]> } };
}

interface Described {
  action: string;
  target?: string;
  /** Read before the change and again after it: the entry's before and after. */
  snapshot?: () => Promise<unknown>;
  /** For changes that add something: what was added, read from the request once it is done (or as the route recorded it, `recordAddition`). */
  added?: () => unknown;
  /** The snapshot is a list of records with ids: keep only those removed (before) and added (after). */
  diff?: true;
}

const READS = new Set(["GET", "HEAD", "OPTIONS"]);
/** These routes write their own, more precise, entries (sign-out, tokens, signing people out). */
const SELF_AUDITED = /^\/(logout|account|staff)(\/|$)/;

/** Which change a request makes, or null for reads. Unknown routes (added later) are still recorded, generically. */
export function describeChange(area: "console" | "api", req: Request, sources: ChangeSources): Described | null {
  if (READS.has(req.method)) return null;
  const path = req.path.toLowerCase();
  if (area === "console" && SELF_AUDITED.test(path)) return null;
  const roster = () => sources.roster.current();
  let m: RegExpExecArray | null;
  if (area === "console" && path === "/roster") return { action: "roster.replace", target: "roster", snapshot: roster };
  if (area === "console" && (m = /^\/roster\/move-up\/([^/]+)$/.exec(path))) return { action: "roster.move-up", target: `roster level ${m[1]}`, snapshot: roster };
  if ((m = /^\/incidents\/([^/]+)\/notes$/i.exec(req.path))) return { action: "case.note", target: decodeURIComponent(m[1]!), added: () => bodyOf(req) };
  if ((m = /^\/incidents\/([^/]+)\/(reply|reopen|close|assign|messages)$/i.exec(req.path))) {
    const id = decodeURIComponent(m[1]!);
    const verb = m[2]!.toLowerCase();
    const caseOf = async () => (await sources.followup.read(id)).case;
    // Our reply to the partner: what was sent, with the case's state before and after (its send starts a hold).
    let read = 0;
    if (verb === "messages") return { action: "case.message", target: id, snapshot: async () => (read++ === 0 ? { case: await caseOf() } : { case: await caseOf(), message: bodyOf(req) }) };
    return { action: `case.${verb}`, target: id, snapshot: caseOf };
  }
  if (/^\/oncall\/overrides(\/[^/]+(\/delete)?)?$/.test(path)) {
    const overrides = () => sources.oncall.overrides.list();
    return path === "/oncall/overrides" ? { action: "override.add", target: "on-call overrides", snapshot: overrides, diff: true } : { action: "override.delete", target: decodeURIComponent(req.path.split("/")[3]!), snapshot: overrides, diff: true };
  }
  if ((area === "console" && path === "/drills") || (area === "api" && path === "/drill-reports")) return { action: "drill.published", added: () => drillSummary(req) };
  if (area === "console" && (m = /^\/queues\/api\/queues\/([^/]+)\/(.+)$/.exec(req.path))) return queueChange(decodeURIComponent(m[1]!), m[2]!.split("/"), sources);
  return { action: `${req.method} ${req.baseUrl}${req.path}`, target: "", added: () => bodyOf(req) };
}

/** bull-board's changes: `/:queue/pause|resume|retry/:status|clean/:status|…` on a queue, `/:queue/:jobId/:verb` on a job. */
function queueChange(name: string, rest: string[], sources: ChangeSources): Described {
  const queue = sources.queues.all().find((q) => q.name === name);
  const snapshot = async () => (queue ? { paused: await queue.isPaused(), jobs: await queue.getJobCounts() } : null);
  const QUEUE_VERBS = new Set(["pause", "resume", "retry", "clean", "promote", "add", "empty", "obliterate"]);
  if (QUEUE_VERBS.has(rest[0]!)) return { action: `queue.${rest[0]}`, target: [name, ...rest.slice(1)].join(" "), snapshot };
  return { action: `queue.job.${rest.slice(1).join(".") || "remove"}`, target: `${name} job ${rest[0]}`, snapshot };
}

function drillSummary(req: Request): unknown {
  const body = req.body as { report?: unknown } | Record<string, unknown> | undefined;
  let report: unknown = body;
  try {
    if (typeof body?.report === "string") report = JSON.parse(body.report);
  } catch {
    return null;
  }
  const { startedAt, target, passed, scenarios } = (report ?? {}) as { startedAt?: unknown; target?: unknown; passed?: unknown; scenarios?: unknown };
  return { startedAt, target, passed, scenarios: Array.isArray(scenarios) ? scenarios.length : null };
}

const SECRET_FIELD = /^_csrf$|password|token|secret/i;
function bodyOf(req: Request): unknown {
  if (!req.body || typeof req.body !== "object") return null;
  const kept = Object.fromEntries(Object.entries(req.body as Record<string, unknown>).filter(([key]) => !SECRET_FIELD.test(key)));
  const text = JSON.stringify(kept);
  return text.length > 4000 ? { truncated: text.slice(0, 4000) } : kept;
}

/**
 * Records every successful change a request makes in the audit trail, with who made it (res.locals.actor)
 * and the state before and after. The entry is written before the response leaves (its end is held until
 * then), so whoever reads the trail after seeing the answer finds the entry; a refused request (4xx, 5xx)
 * changed nothing and records nothing.
 */
export function auditChanges(area: "console" | "api", trail: AuditTrail, sources: ChangeSources): RequestHandler {
  return async (req, res, next) => {
    const change = describeChange(area, req, sources);
    if (!change) return next();
    const before = change.snapshot ? await change.snapshot().catch(() => null) : undefined;
    holdEndUntil(res, async () => {
      const recorded = res.locals[ADDITION] as { what: unknown; changed: boolean } | undefined;
      // A retried request that found its work done already (the same note again) changed nothing: no entry.
      if (recorded && !recorded.changed) return;
      const after = change.snapshot ? await change.snapshot().catch(() => null) : recorded ? recorded.what : change.added?.();
      const entry: AuditChange = { action: change.action, target: change.target, ...(change.diff ? difference(before, after) : { before, after }) };
      await trail.record(res.locals.actor as Actor, entry).catch((err: unknown) => requestLogger(req)?.error({ err, action: entry.action }, "audit entry not written"));
    });
    next();
  };
}

const ADDITION = "auditAddition";

/**
 * A route that adds something says what it stored (the note with its id, whichever door's body it came in)
 * and whether it was new; the entry's `after` is then that, and a repeat that stored nothing writes no entry.
 */
export function recordAddition(res: Response, what: unknown, changed: boolean): void {
  res.locals[ADDITION] = { what, changed };
}

/** What a change removed from a list of records (before) and added to it (after), by id. */
function difference(before: unknown, after: unknown): { before: unknown[]; after: unknown[] } {
  const list = (value: unknown) => (Array.isArray(value) ? (value as { id: string }[]) : []);
  const ids = (items: { id: string }[]) => new Set(items.map((item) => item.id));
  const [was, is] = [list(before), list(after)];
  return { before: was.filter((item) => !ids(is).has(item.id)), after: is.filter((item) => !ids(was).has(item.id)) };
}

function holdEndUntil(res: Response, work: () => Promise<void>): void {
  const end = res.end.bind(res) as (...args: unknown[]) => Response;
  let held = false;
  res.end = ((...args: unknown[]) => {
    if (held || res.statusCode >= 400) return end(...args);
    held = true;
    void work().finally(() => end(...args));
    return res;
  }) as Response["end"];
}
