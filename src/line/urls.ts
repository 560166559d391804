/**
 * Absolute URLs for our TwiML. Twilio signs the exact URL it requests, so every URL we hand it is built from
 * PUBLIC_BASE_URL: that is also the URL the signature check recomputes.
 */
export const paths = {
  incoming: "/voice/incoming",
  notice: "/voice/notice",
  dial: "/voice/dial",
  whisper: "/voice/whisper",
  whisperAnswer: "/voice/whisper/answer",
  recording: "/voice/recording",
  recordingStatus: "/voice/recording/status",
  transcription: "/voice/transcription",
  status: "/voice/status",
  fallback: "/voice/fallback",
} as const;

type LinePath = (typeof paths)[keyof typeof paths];

export function lineUrl(base: string, path: LinePath, query: Record<string, string | number> = {}): string {
  const search = new URLSearchParams(Object.entries(query).map(([key, value]) => [key, String(value)])).toString();
  return `${base}${path}${search ? `?${search}` : ""}`;
}
