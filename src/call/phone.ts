import { z } from "zod";

/** An E.164 number as Twilio sends and dials it: + then up to 15 digits, no leading zero. */
export const e164 = z.string().regex(/^\+[1-9]\d{6,14}$/, "an E.164 phone number such as +15550001001");

/** "+15550001001" -> "+1 5 5 5 0 0 0 1 0 0 1": text-to-speech then reads digits, not "fifteen billion". */
export function digitByDigit(number: string): string {
  return number.replace(/\D/g, "").split("").join(" ");
}

/** Keeps the country code and last two digits, so logs and screens can tell calls apart without exposing the number. */
export function maskPhone(number: string): string {
  const digits = number.replace(/\D/g, "");
  if (digits.length < 6) return "***";
  return `${number.startsWith("+") ? "+" : ""}${digits.slice(0, 1)}${"*".repeat(digits.length - 3)}${digits.slice(-2)}`;
}

/**
 * A caller who withheld their number: Twilio sends From as "anonymous" or "unknown" (some carriers send
 * "restricted" or "private"), never a number to call back or to count calls by.
 */
export function isWithheld(from: string): boolean {
  const number = from.trim();
  // +266696687 spells ANONYMOUS on a keypad: how some networks present a withheld number.
  return !/^\+?\d{3,}$/.test(number) || number === "+266696687";
}
