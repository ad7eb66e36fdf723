/// <reference lib="dom" />
import uPlot from "uplot";
import { h } from "./dom";
import { count, duration, shortDuration } from "./format";

export interface Line {
  label: string;
  values: Array<number | null>;
  color: string;
  /** Bars for counts per period, lines for durations. */
  bars?: boolean;
}

/** How a chart's values read: whole counts, or durations in seconds on round steps (a minute, an hour, a day). */
const KINDS = {
  count: { value: (v: number) => count(Math.round(v)), axis: (v: number) => count(v), incrs: [1, 2, 5, 10, 20, 50, 100, 200, 500, 1_000, 2_000, 5_000, 10_000] },
  duration: { value: duration, axis: shortDuration, incrs: [60, 300, 600, 900, 1_800, 3_600, 7_200, 14_400, 21_600, 43_200, 86_400, 172_800, 604_800] },
};

const bars = uPlot.paths.bars!({ size: [0.6, 40], gap: 2 });
const midnightUtc = (day: string) => Date.parse(`${day}T00:00:00Z`) / 1000;
const HEIGHT = 220;
const AXIS = { stroke: "#6b7280", grid: { stroke: "#eef0f3" }, ticks: { stroke: "#eef0f3" } };

/**
 * A time chart over whole UTC days. uPlot draws on canvas and reads series labels as text, so nothing
 * from the API reaches HTML here either.
 */
export function timeChart(title: string, days: string[], lines: Line[], kind: keyof typeof KINDS, name: string): HTMLElement {
  const k = KINDS[kind];
  const box = h("figure", { class: "chart", "data-chart": name }, h("figcaption", {}, title));
  const plot = h("div");
  box.append(plot);
  const width = () => Math.max(280, Math.floor(box.clientWidth || 560) - 26);
  const opts: uPlot.Options = {
    width: 560,
    height: HEIGHT,
    tzDate: (ts) => uPlot.tzDate(new Date(ts * 1e3), "Etc/UTC"),
    legend: { live: false },
    cursor: { drag: { x: false, y: false } },
    scales: { x: { time: true }, y: { range: (_u, _min, max) => [0, Math.max(kind === "count" ? 1 : 60, max * 1.1)] } },
    axes: [AXIS, { ...AXIS, incrs: k.incrs, values: (_u, splits) => splits.map(k.axis), size: 56 }],
    series: [
      {},
      ...lines.map((l) => ({
        label: l.label,
        stroke: l.color,
        width: l.bars ? 0 : 2,
        fill: l.bars ? l.color : undefined,
        paths: l.bars ? bars : undefined,
        points: { show: !l.bars, size: 5 },
        spanGaps: !l.bars,
        value: (_u: uPlot, v: number | null) => (v === null ? "–" : k.value(v)),
      })),
    ],
  };
  const data: uPlot.AlignedData = [days.map(midnightUtc), ...lines.map((l) => l.values)];
  // Sized once it is in the document, when its width is known.
  queueMicrotask(() => {
    const chart = new uPlot({ ...opts, width: width() }, data, plot);
    new ResizeObserver(() => { if (chart.width !== width()) chart.setSize({ width: width(), height: HEIGHT }); }).observe(box);
  });
  return box;
}
