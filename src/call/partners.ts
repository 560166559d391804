import { z } from "zod";
import { e164 } from "./phone.ts";

const domain = z
  .string()
  .regex(/^(?:[a-z0-9](?:[a-z0-9-]*[a-z0-9])?\.)+[a-z]{2,}$/i, "a mail domain, e.g. acme.test")
  .transform((value) => value.toLowerCase());

export const partnerSchema = z.object({
  name: z.string().min(1),
  email: z.email().optional(),
  /** Addresses the partner's staff write from (their email is matched too). */
  emails: z.array(z.email()).optional(),
  /** Mail domains of the partner: any sender there is theirs. */
  domains: z.array(domain).optional(),
});
export type Partner = z.infer<typeof partnerSchema>;

/**
 * PARTNERS_FILE: { "+15557770001": { "name": "Acme Payments", "email": "oncall@acme.test", "emails": [...],
 * "domains": ["acme.test"] } }, keyed by the partner's phone number.
 */
export const partnerDirectorySchema = z.record(e164, partnerSchema);
export type PartnerDirectory = z.infer<typeof partnerDirectorySchema>;

/**
 * The partner a mail sender belongs to: an exact address first (any partner), then the sender's domain.
 * `number` is the directory key, so mail and calls of one partner count in one misuse window.
 */
export function partnerOfSender(directory: PartnerDirectory, address: string): { number: string; partner: Partner } | null {
  const sender = address.toLowerCase();
  const entries = Object.entries(directory);
  const byAddress = entries.find(([, p]) => [p.email, ...(p.emails ?? [])].some((e) => e?.toLowerCase() === sender));
  const senderDomain = sender.split("@")[1] ?? "";
  const found = byAddress ?? entries.find(([, p]) => (p.domains ?? []).includes(senderDomain));
  return found ? { number: found[0], partner: found[1] } : null;
}
