import { z } from "zod";
import { partnerSchema } from "./partners.ts";

/** The shapes of the email door's records (docs/architecture.md, "Records"); types come from them. */

export const severitySchema = z.enum(["SEV1", "SEV3"]);
export type Severity = z.infer<typeof severitySchema>;

export const channelSchema = z.enum(["phone", "email"]);
export type Channel = z.infer<typeof channelSchema>;

/** Kept for every attachment; the contents only when ATTACHMENTS_DIR is set (then `stored` is the file). */
export const attachmentSchema = z.object({ name: z.string(), type: z.string(), size: z.number().int().min(0), stored: z.string().optional() });
export type Attachment = z.infer<typeof attachmentSchema>;

/** What engineers look for in a partner's message: the platform's request ids and where and when it failed. */
export const mailFactsSchema = z.object({
  traceIds: z.array(z.string()).default([]),
  endpoints: z.array(z.string()).default([]),
  environments: z.array(z.enum(["production", "sandbox"])).default([]),
  timestamps: z.array(z.string()).default([]),
});
export type MailFacts = z.infer<typeof mailFactsSchema>;

/** One message of an incident's thread, either way; text only (HTML mail is kept as its text). */
export const threadMessageSchema = z.object({
  direction: z.enum(["in", "out"]),
  kind: z.enum(["partner", "ack", "reply", "closing", "followup"]),
  messageId: z.string(),
  at: z.iso.datetime(),
  from: z.string(),
  to: z.string(),
  /** Where the sender asked replies to go, when not their From. */
  replyTo: z.string().nullable().default(null),
  subject: z.string(),
  text: z.string(),
  inReplyTo: z.string().nullable().default(null),
  references: z.array(z.string()).default([]),
  attachments: z.array(attachmentSchema).default([]),
  facts: mailFactsSchema.default({ traceIds: [], endpoints: [], environments: [], timestamps: [] }),
});
export type ThreadMessage = z.infer<typeof threadMessageSchema>;

/** An inbound message as stored before it is acknowledged: what the rest of the pipeline decides from. */
export const inboundMailSchema = z.object({
  messageId: z.string(),
  receivedAt: z.iso.datetime(),
  via: z.enum(["smtp", "http"]),
  size: z.number().int().min(0),
  envelopeFrom: z.string().nullable(),
  from: z.string(),
  fromName: z.string().nullable(),
  replyTo: z.string().nullable(),
  to: z.array(z.string()),
  subject: z.string(),
  text: z.string(),
  inReplyTo: z.string().nullable(),
  references: z.array(z.string()),
  /** The headers that tell automatic mail apart (lower-case names). */
  headers: z.record(z.string(), z.string()),
  contentType: z.string(),
  attachments: z.array(attachmentSchema),
});
export type InboundMail = z.infer<typeof inboundMailSchema>;

/** The fields an email incident's hash holds besides id, raisedAt, severity and channel. */
export const mailIncidentFieldsSchema = z.object({
  caseKey: z.string(),
  from: z.string(),
  mailSubject: z.string(),
  drill: z.enum(["true", "false"]).transform((value) => value === "true"),
  partner: z.string().transform((value) => (value ? partnerSchema.parse(JSON.parse(value)) : null)),
  usage: z.coerce.number().int().nullable().catch(null),
});
