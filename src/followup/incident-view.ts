import type { ThreadMessage } from "../call/mail.ts";
import type { IncidentRecord } from "../incidents/incident-record.ts";
import type { Incidents } from "../incidents/incidents.ts";
import type { CaseState, Delivery, FollowupState } from "../store/followup-state.ts";
import type { MailStore } from "../store/mail-store.ts";
import { drillReportTarget } from "./drill-report-target.ts";

/** Where each of an incident's jobs stands in its queue ("completed", "delayed", "not-queued"...). */
export type JobStates = (incidentId: string) => Promise<{ mobilise: string; email: string; drillReport: string }>;

/**
 * A drill's report to its partner as the API shows it: `sent` (with `sentAt`, `to`, the text as sent),
 * `pending` (its job waits for the call to end and the follow-up to settle), `failed`, or `not-applicable`
 * (a real incident, or a drill without a partner address; `reason` says which).
 */
export type DrillReportStatus = Omit<Delivery, "state"> & { state: "sent" | "pending" | "failed" | "not-applicable"; job: string };

/** An incident with what its follow-up did: what the staff API, the console and the workers read. */
export type IncidentView = IncidentRecord & {
  followup: { mobilise: Delivery & { job: string }; email: Delivery & { job: string }; drillReport: DrillReportStatus; case: CaseState };
  /** The case, also at the top level (docs/architecture.md, "Routes"): state and when the hold closes it. */
  case: CaseState;
  /** The mail thread, text only, in order; `sentAt` null while our message waits for its job. */
  thread: (ThreadMessage & { sentAt: string | null })[];
  /** x-trace-id values, endpoints, environments and timestamps the partner's emails named. */
  traceIds: string[];
  reported: { endpoints: string[]; environments: string[]; timestamps: string[] };
};

const union = (lists: string[][]) => [...new Set(lists.flat())];

export class IncidentViews {
  constructor(
    private readonly deps: {
      incidents: Incidents;
      followup: FollowupState;
      mail: MailStore;
      jobStates: JobStates;
    },
  ) {}

  async get(id: string): Promise<IncidentView | null> {
    const [record, jobs, followup, thread] = await Promise.all([this.deps.incidents.get(id), this.deps.jobStates(id), this.deps.followup.read(id), this.deps.mail.thread(id)]);
    if (!record) return null;
    const facts = thread.filter((m) => m.direction === "in").map((m) => m.facts);
    return {
      ...record,
      followup: {
        mobilise: { ...followup.mobilise, job: jobs.mobilise },
        email: { ...followup.email, job: jobs.email },
        drillReport: drillReportStatus(record, followup.drillReport, jobs.drillReport),
        case: followup.case,
      },
      case: followup.case,
      thread,
      traceIds: union(facts.map((f) => f.traceIds)),
      reported: { endpoints: union(facts.map((f) => f.endpoints)), environments: union(facts.map((f) => f.environments)), timestamps: union(facts.map((f) => f.timestamps)) },
    };
  }

  /** Newest first. */
  async list(limit: number): Promise<IncidentView[]> {
    const ids = await this.deps.incidents.recentIds(limit);
    const views = await Promise.all(ids.map((id) => this.get(id)));
    return views.filter((view): view is IncidentView => view !== null);
  }
}

function drillReportStatus(record: IncidentRecord, delivery: Delivery, job: string): DrillReportStatus {
  const target = drillReportTarget(record);
  if (delivery.sentAt) return { ...delivery, state: "sent", job };
  if ("notApplicable" in target) return { ...delivery, state: "not-applicable", reason: target.notApplicable, job };
  return { ...delivery, state: delivery.state === "failed" ? "failed" : "pending", job };
}
