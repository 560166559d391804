import { createHash } from "node:crypto";
import { simpleParser, type AddressObject, type ParsedMail } from "mailparser";
import type { InboundMail } from "../call/mail.ts";

/** A message the door will not take, whatever retries: the SMTP answer is a 5xx, the HTTP one a 400. */
export class MailRefused extends Error {
  override name = "MailRefused";
}

/** Headers that tell automatic mail apart; kept on the stored message so the decision can be checked later. */
const KEPT_HEADERS = ["auto-submitted", "precedence", "x-autoreply", "x-autorespond", "return-path", "list-id", "x-incident-id"];
/** The text kept of one message: plenty for a report, bounded for Redis. */
const MAX_TEXT = 200_000;

export interface Parsed {
  mail: InboundMail;
  /** The digest of the Message-ID: the message's key, one per Message-ID however often it arrives. */
  digest: string;
  contents: Buffer[];
}

const addresses = (field: AddressObject | AddressObject[] | undefined) =>
  (Array.isArray(field) ? field : field ? [field] : []).flatMap((group) => group.value.map((a) => a.address?.toLowerCase() ?? "")).filter(Boolean);

/** One raw RFC 822 message, parsed with mailparser into what the door stores. */
export async function parseMail(raw: Buffer, envelope: { via: "smtp" | "http"; from: string | null }, now: Date): Promise<Parsed> {
  if (raw.length === 0) throw new MailRefused("empty message");
  let parsed: ParsedMail;
  try {
    parsed = await simpleParser(raw, { skipImageLinks: true });
  } catch (error) {
    throw new MailRefused(`not a readable RFC 822 message: ${(error as Error).message}`);
  }
  const from = addresses(parsed.from)[0] ?? envelope.from?.toLowerCase() ?? "";
  if (!from) throw new MailRefused("no sender: the message has no From address (nor an envelope sender)");
  // A message without a Message-ID is keyed by its content, so the same bytes delivered twice are still one.
  const messageId = parsed.messageId ?? `<${createHash("sha256").update(raw).digest("hex").slice(0, 32)}@no-message-id>`;
  const headers: Record<string, string> = {};
  for (const { key, line } of parsed.headerLines) {
    if (KEPT_HEADERS.includes(key) && headers[key] === undefined) headers[key] = line.slice(line.indexOf(":") + 1).replace(/\s+/g, " ").trim();
  }
  const contentType = parsed.headers.get("content-type") as { value?: string } | undefined;
  const references = parsed.references === undefined ? [] : Array.isArray(parsed.references) ? parsed.references : parsed.references.split(/\s+/);
  const attachments = parsed.attachments.map((a) => ({ name: a.filename ?? "unnamed", type: a.contentType, size: a.size }));
  const mail: InboundMail = {
    messageId,
    receivedAt: now.toISOString(),
    via: envelope.via,
    size: raw.length,
    envelopeFrom: envelope.from,
    from,
    fromName: parsed.from?.value[0]?.name || null,
    replyTo: addresses(parsed.replyTo)[0] ?? null,
    to: addresses(parsed.to),
    subject: parsed.subject ?? "",
    // mailparser gives HTML-only mail a text rendering: HTML itself is never kept, nor shown.
    text: (parsed.text ?? "").slice(0, MAX_TEXT),
    inReplyTo: parsed.inReplyTo ?? null,
    references: references.filter(Boolean),
    headers,
    contentType: (contentType?.value ?? "text/plain").toLowerCase(),
    attachments,
  };
  return { mail, digest: createHash("sha256").update(messageId).digest("hex"), contents: parsed.attachments.map((a) => a.content) };
}
