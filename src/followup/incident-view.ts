import type { IncidentRecord } from "../incidents/incident-record.ts";
import type { Incidents } from "../incidents/incidents.ts";
import type { CaseState, Delivery, FollowupState } from "../store/followup-state.ts";

/** Where each of an incident's jobs stands in its queue ("completed", "delayed", "not-queued"...). */
export type JobStates = (incidentId: string) => Promise<{ mobilise: string; email: string }>;

/** An incident with what its follow-up did: what the staff API, the console and the workers read. */
export type IncidentView = IncidentRecord & {
  followup: { mobilise: Delivery & { job: string }; email: Delivery & { job: string }; case: CaseState };
};

export class IncidentViews {
  constructor(
    private readonly deps: {
      incidents: Incidents;
      followup: FollowupState;
      jobStates: JobStates;
    },
  ) {}

  async get(id: string): Promise<IncidentView | null> {
    const [record, jobs, followup] = await Promise.all([this.deps.incidents.get(id), this.deps.jobStates(id), this.deps.followup.read(id)]);
    if (!record) return null;
    return {
      ...record,
      followup: { mobilise: { ...followup.mobilise, job: jobs.mobilise }, email: { ...followup.email, job: jobs.email }, case: followup.case },
    };
  }

  /** Newest first. */
  async list(limit: number): Promise<IncidentView[]> {
    const ids = await this.deps.incidents.recentIds(limit);
    const views = await Promise.all(ids.map((id) => this.get(id)));
    return views.filter((view): view is IncidentView => view !== null);
  }
}
