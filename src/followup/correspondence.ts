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

  /**
   * `replyId`: the request's own id for this reply; the same id again is the same message (its Message-ID
   * is made from it), already on the thread and already queued, so nothing is sent twice. `added` is false then.
   */
  async staffReply(incidentId: string, text: string, replyId?: string): Promise<{ message: ThreadMessage; added: boolean }> {
    const incident = await this.deps.views.get(incidentId);
    if (!incident) throw new CaseError(404, `no incident ${incidentId}`);
    const message = composeStaffReply(incident, text, this.deps.options(), replyId);
    if (!message) throw new CaseError(409, `incident ${incidentId} has no partner address to write to (no email from them, and the follow-up went to the support inbox)`);
    const added = await this.deps.mail.append(incidentId, message);
    // Queued on a replay too: a request that died between the two steps is completed by its retry.
    await this.deps.queues.queueThreadMail({ incidentId, kind: "reply", messageId: message.messageId });
    const stored = added ? message : ((await this.deps.mail.thread(incidentId)).find((m) => m.messageId === message.messageId) ?? message);
    return { message: stored, added };
  }
}
