import { z } from "zod";
import { e164 } from "./phone.ts";

export const partnerSchema = z.object({
  name: z.string().min(1),
  email: z.email().optional(),
});
export type Partner = z.infer<typeof partnerSchema>;

/** PARTNERS_FILE: { "+15557770001": { "name": "Acme Payments", "email": "oncall@acme.test" } } */
export const partnerDirectorySchema = z.record(e164, partnerSchema);
export type PartnerDirectory = z.infer<typeof partnerDirectorySchema>;
