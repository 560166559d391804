import type { SendMailOptions, SentMessageInfo, Transporter } from "nodemailer";
import type { Config } from "../config.ts";

/**
 * Every email the line writes leaves the same way: from FOLLOWUP_FROM, Reply-To SUPPORT_EMAIL (the partner's
 * answer comes back through the email door), with the fixed Message-ID the caller gives, so a send repeated
 * after a crash folds into one and a reply finds its incident.
 */
export function sendFromLine(
  transport: Transporter,
  config: Pick<Config, "FOLLOWUP_FROM" | "SUPPORT_EMAIL">,
  mail: Required<Pick<SendMailOptions, "to" | "subject" | "text" | "messageId" | "headers">> & Pick<SendMailOptions, "html" | "inReplyTo" | "references">,
): Promise<SentMessageInfo> {
  return transport.sendMail({ from: config.FOLLOWUP_FROM, replyTo: config.SUPPORT_EMAIL, ...mail });
}
