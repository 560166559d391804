import type { ThreadMessage } from "../call/mail.ts";
import type { MailStore } from "../store/mail-store.ts";
import { CaseError } from "./cases.ts";
import type { IncidentViews } from "./incident-view.ts";
import type { FollowupQueues } from "./queues.ts";
import { composeStaffReply, type ThreadOptions } from "./thread-message.ts";

/**
 * Staff writing to the partner on an incident's thread (`POST /api/incidents/:id/messages`, the console's
 * reply form). The message is put on the thread first, then a job sends it; its send starts the case hold.
 */
export class Correspondence {
  constructor(
    private readonly deps: {
      views: IncidentViews;
      mail: MailStore;
      queues: FollowupQueues;
      options: () => ThreadOptions;
    },
  ) {}

  async staffReply(incidentId: string, text: string): Promise<ThreadMessage> {
    const incident = await this.deps.views.get(incidentId);
    if (!incident) throw new CaseError(404, `no incident ${incidentId}`);
    const message = composeStaffReply(incident, text, this.deps.options());
    if (!message) throw new CaseError(409, `incident ${incidentId} has no partner address to write to (no email from them, and the follow-up went to the support inbox)`);
    await this.deps.mail.append(incidentId, message);
    await this.deps.queues.queueThreadMail({ incidentId, kind: "reply", messageId: message.messageId });
    return message;
  }
}
