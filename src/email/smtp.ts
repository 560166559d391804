import type { AddressInfo } from "node:net";
import type { Logger } from "pino";
import { SMTPServer, type SMTPServerDataStream, type SMTPServerSession } from "smtp-server";
import { MailRefused } from "./parse.ts";
import type { MailDesk } from "./intake.ts";

export interface MailListener {
  port: number;
  close(): Promise<void>;
}

const smtpError = (code: number, message: string) => Object.assign(new Error(message), { responseCode: code });

/**
 * The embedded SMTP listener (INBOUND_SMTP_PORT), taking mail for SUPPORT_EMAIL and INBOUND_ADDRESSES as an
 * MX or a forwarding rule delivers it. 250 only once the message is stored; 552 over INBOUND_MAX_BYTES;
 * 550 for what can never be taken; 451 while storage is away, so the sending server keeps the message and
 * retries (docs/architecture.md, "The email door").
 */
export async function startMailListener(options: { port: number; host?: string; accepted: string[]; maxBytes: number; desk: MailDesk; log: Logger }): Promise<MailListener> {
  const accepted = new Set(options.accepted.map((a) => a.toLowerCase()));
  const { desk, log, maxBytes } = options;
  const server = new SMTPServer({
    name: "emergency-line",
    banner: "emergency-line inbound mail",
    size: maxBytes,
    // Taken as an MX takes mail: no login. TLS belongs to the relay or forwarder in front (see the README).
    authOptional: true,
    disabledCommands: ["AUTH", "STARTTLS"],
    logger: false,
    onRcptTo(address, _session, callback) {
      if (accepted.has(address.address.toLowerCase())) return callback();
      callback(smtpError(550, `5.1.1 <${address.address}>: no such mailbox here`));
    },
    onData(stream: SMTPServerDataStream, session: SMTPServerSession, callback) {
      const chunks: Buffer[] = [];
      let size = 0;
      stream.on("data", (chunk: Buffer) => {
        size += chunk.length;
        // Past the limit the rest is read and dropped: the answer must wait for the end of the data.
        if (size <= maxBytes) chunks.push(chunk);
      });
      stream.on("end", () => {
        if (stream.sizeExceeded || size > maxBytes) return callback(smtpError(552, `5.3.4 message too big: the limit is ${maxBytes} bytes`));
        const mailFrom = session.envelope.mailFrom;
        desk.receive(Buffer.concat(chunks), { via: "smtp", from: mailFrom ? mailFrom.address : "" }).then(
          (result) => callback(null, `2.0.0 stored as ${result.messageId}${result.incidentId ? ` (${result.incidentId})` : ""}`),
          (error: unknown) => {
            if (error instanceof MailRefused) return callback(smtpError(550, `5.6.0 ${error.message}`));
            log.warn({ err: error }, "inbound email not stored; the sender is told to retry");
            callback(smtpError(451, "4.3.0 cannot store the message right now; try again later"));
          },
        );
      });
    },
  });
  server.on("error", (err) => log.warn({ err }, "SMTP listener error"));
  await new Promise<void>((resolve, reject) => {
    server.server.once("error", reject);
    server.listen(options.port, options.host ?? "0.0.0.0", () => resolve());
  });
  return {
    port: (server.server.address() as AddressInfo).port,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
