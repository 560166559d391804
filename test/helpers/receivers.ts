export { startSmtpCapture as startSmtp, startWebhookCapture as startWebhookReceiver } from "../../src/simulator/capture.ts";

export { waitFor } from "../../src/simulator/wait.ts";

/** For waitFor: the list once it has something in it. */
export function nonEmpty<T>(items: T[]): T[] | null {
  return items.length ? items : null;
}
