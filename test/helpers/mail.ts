import nodemailer from "nodemailer";
import type Mail from "nodemailer/lib/mailer";
import type { TestLine } from "./line.ts";

/** Sends as a mail server would, over SMTP to the line's listener; resolves with the server's answer. */
export async function deliverMail(t: TestLine, to: string, message: Mail.Options): Promise<{ code: number; response: string }> {
  const transport = nodemailer.createTransport({ host: "127.0.0.1", port: t.line.smtp!.port, secure: false, ignoreTLS: true });
  try {
    const info = await transport.sendMail({ to, ...message });
    return { code: Number(info.response.slice(0, 3)), response: info.response };
  } catch (error) {
    const e = error as { responseCode?: number; response?: string; message: string };
    return { code: e.responseCode ?? 0, response: e.response ?? e.message };
  } finally {
    transport.close();
  }
}
