/** A plain-text table: the first column left-aligned, the rest right-aligned, as numbers read best. */
export function formatTable(title: string, header: string[], rows: Array<Array<string | number>>, notes: string[] = []): string {
  const cells = [header, ...rows.map((r) => r.map(String))];
  const widths = header.map((_, i) => Math.max(...cells.map((r) => (r[i] ?? "").length)));
  const line = (r: string[]) => r.map((c, i) => (i ? (c ?? "").padStart(widths[i]) : (c ?? "").padEnd(widths[i]))).join("  ");
  const rule = widths.map((w) => "-".repeat(w)).join("  ");
  return [`\n## ${title}`, line(header), rule, ...cells.slice(1).map(line), ...notes.map((n) => `  ${n}`)].join("\n");
}

export const fixed = (n: number, digits = 1) => (Number.isFinite(n) ? n.toFixed(digits) : "–");
export const thousands = (n: number) => (Number.isFinite(n) ? Math.round(n).toLocaleString("en-US") : "–");
export const verdict = (ok: boolean) => (ok ? "meets target" : "MISSES target");
