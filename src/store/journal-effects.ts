import type { Outcome, Stage } from "../call/records.ts";

export interface HangupDecision {
  outcome: Outcome;
  /** How long the follow-up email waits (for a transcription that may name the contact). */
  emailDelayMs: number;
}

/**
 * What the journal needs from the layers above it, handed to its constructor: the store applies writes, it
 * decides nothing and queues nothing itself. A spool replayed after an outage triggers the same effects as
 * the live write would have, once Redis holds the data.
 */
export interface JournalEffects {
  /** The caller hung up with no outcome recorded: what that means at this stage (the call's flow decides). */
  onHangup(stage: Stage): HangupDecision;
  /** Redis holds the incident: make sure its follow-up exists (called on every raise; idempotent). */
  incidentRaised(incident: { incidentId: string; callSid: string; outcome: Outcome; emailDelayMs: number; first: boolean }): Promise<void>;
  /** Redis holds a transcription for the call. */
  transcriptionStored(callSid: string): Promise<void>;
}
