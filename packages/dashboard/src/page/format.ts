/** How durations, dates and counts read on the page. */

export function duration(seconds: number | null | undefined): string {
  if (seconds === null || seconds === undefined) return "–";
  const s = Math.round(seconds);
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m ${String(s % 60).padStart(2, "0")}s`;
  const hours = Math.floor(m / 60);
  if (hours < 48) return `${hours}h ${String(m % 60).padStart(2, "0")}m`;
  return `${Math.floor(hours / 24)}d ${hours % 24}h`;
}

/** For chart axes, where space is short: 45s, 20m, 1.5h, 2d. */
export function shortDuration(seconds: number): string {
  if (seconds < 60) return `${Math.round(seconds)}s`;
  if (seconds < 3_600) return `${Math.round(seconds / 60)}m`;
  if (seconds < 86_400) return `${+(seconds / 3_600).toFixed(1)}h`;
  return `${+(seconds / 86_400).toFixed(1)}d`;
}

export const count = (n: number) => n.toLocaleString("en-US");

export const hours = (minutes: number) => (minutes < 60 ? `${minutes} min` : `${(minutes / 60).toFixed(1)} h`);

/** "2024-02-12 10:30 UTC": the API speaks UTC and so does the page, so numbers match what notifications say. */
export const when = (iso: string | null | undefined) => (iso ? `${iso.slice(0, 10)} ${iso.slice(11, 16)} UTC` : "–");

export const percent = (x: number) => `${Math.round(x * 100)}%`;
