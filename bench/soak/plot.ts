/**
 * Line charts drawn into a raster and written as a PNG (pngjs encodes it): the
 * soak's RSS and latency over time, with no plotting tool to install.
 */
import { writeFileSync } from 'node:fs';
import { PNG } from 'pngjs';

export type Rgb = readonly [number, number, number];

export interface Series {
  label: string;
  color: Rgb;
  points: readonly { x: number; y: number }[];
}

export interface Panel {
  title: string;
  yLabel: string;
  series: Series[];
  /** A horizontal reference line (e.g. a budget), drawn dashed. */
  marks?: { y: number; label: string; color: Rgb }[];
  /** Vertical dashed lines at these x (e.g. the moments the WeChat token was fetched). */
  vlines?: { x: number; label: string }[];
  /** A shaded x range (e.g. the window a verdict is taken over). */
  shade?: { from: number; to: number; label: string };
}

const WIDTH = 1000;
const PANEL_HEIGHT = 300;
const MARGIN = { left: 80, right: 24, top: 36, bottom: 44 };
const SCALE = 2;
const BLACK: Rgb = [0, 0, 0];
const GREY: Rgb = [200, 200, 200];
const SHADE: Rgb = [236, 242, 250];

/** A 5×7 bitmap font: each glyph is 7 rows of 5 bits (most significant bit on the left). */
const FONT: Record<string, number[]> = {
  '0': [14, 17, 19, 21, 25, 17, 14],
  '1': [4, 12, 4, 4, 4, 4, 14],
  '2': [14, 17, 1, 2, 4, 8, 31],
  '3': [31, 2, 4, 2, 1, 17, 14],
  '4': [2, 6, 10, 18, 31, 2, 2],
  '5': [31, 16, 30, 1, 1, 17, 14],
  '6': [6, 8, 16, 30, 17, 17, 14],
  '7': [31, 1, 2, 4, 8, 8, 8],
  '8': [14, 17, 17, 14, 17, 17, 14],
  '9': [14, 17, 17, 15, 1, 2, 12],
  A: [14, 17, 17, 31, 17, 17, 17],
  B: [30, 17, 17, 30, 17, 17, 30],
  C: [14, 17, 16, 16, 16, 17, 14],
  D: [28, 18, 17, 17, 17, 18, 28],
  E: [31, 16, 16, 30, 16, 16, 31],
  F: [31, 16, 16, 30, 16, 16, 16],
  G: [14, 17, 16, 23, 17, 17, 15],
  H: [17, 17, 17, 31, 17, 17, 17],
  I: [14, 4, 4, 4, 4, 4, 14],
  J: [7, 2, 2, 2, 2, 18, 12],
  K: [17, 18, 20, 24, 20, 18, 17],
  L: [16, 16, 16, 16, 16, 16, 31],
  M: [17, 27, 21, 21, 17, 17, 17],
  N: [17, 17, 25, 21, 19, 17, 17],
  O: [14, 17, 17, 17, 17, 17, 14],
  P: [30, 17, 17, 30, 16, 16, 16],
  Q: [14, 17, 17, 17, 21, 18, 13],
  R: [30, 17, 17, 30, 20, 18, 17],
  S: [15, 16, 16, 14, 1, 1, 30],
  T: [31, 4, 4, 4, 4, 4, 4],
  U: [17, 17, 17, 17, 17, 17, 14],
  V: [17, 17, 17, 17, 17, 10, 4],
  W: [17, 17, 17, 21, 21, 21, 10],
  X: [17, 17, 10, 4, 10, 17, 17],
  Y: [17, 17, 17, 10, 4, 4, 4],
  Z: [31, 1, 2, 4, 8, 16, 31],
  '.': [0, 0, 0, 0, 0, 12, 12],
  ',': [0, 0, 0, 0, 12, 4, 8],
  '-': [0, 0, 0, 31, 0, 0, 0],
  '+': [0, 4, 4, 31, 4, 4, 0],
  '=': [0, 0, 31, 0, 31, 0, 0],
  ':': [0, 12, 12, 0, 12, 12, 0],
  '/': [0, 1, 2, 4, 8, 16, 0],
  '%': [24, 25, 2, 4, 8, 19, 3],
  '(': [2, 4, 8, 8, 8, 4, 2],
  ')': [8, 4, 2, 2, 2, 4, 8],
  '@': [14, 17, 23, 21, 23, 16, 14],
  ' ': [0, 0, 0, 0, 0, 0, 0],
};

class Canvas {
  readonly png: PNG;

  constructor(
    readonly width: number,
    readonly height: number,
  ) {
    this.png = new PNG({ width, height });
    this.png.data.fill(255);
  }

  pixel(x: number, y: number, [r, g, b]: Rgb): void {
    x = Math.round(x);
    y = Math.round(y);
    if (x < 0 || y < 0 || x >= this.width || y >= this.height) return;
    const i = (y * this.width + x) * 4;
    this.png.data[i] = r;
    this.png.data[i + 1] = g;
    this.png.data[i + 2] = b;
    this.png.data[i + 3] = 255;
  }

  rect(x0: number, y0: number, x1: number, y1: number, color: Rgb): void {
    for (let y = Math.round(Math.min(y0, y1)); y <= Math.max(y0, y1); y++) {
      for (let x = Math.round(Math.min(x0, x1)); x <= Math.max(x0, x1); x++)
        this.pixel(x, y, color);
    }
  }

  /** A line `thickness` pixels wide; `dash` draws every other 6 pixels. */
  line(
    x0: number,
    y0: number,
    x1: number,
    y1: number,
    color: Rgb,
    thickness = 1,
    dash = false,
  ): void {
    const steps = Math.max(1, Math.ceil(Math.hypot(x1 - x0, y1 - y0)));
    for (let s = 0; s <= steps; s++) {
      if (dash && Math.floor(s / 6) % 2 === 1) continue;
      const x = x0 + ((x1 - x0) * s) / steps;
      const y = y0 + ((y1 - y0) * s) / steps;
      for (let d = 0; d < thickness; d++) {
        this.pixel(x, y + d - Math.floor(thickness / 2), color);
        this.pixel(x + d - Math.floor(thickness / 2), y, color);
      }
    }
  }

  /** Text in the 5×7 font at SCALE; `align` says which end `x` is. Unknown characters are skipped. */
  text(
    x: number,
    y: number,
    value: string,
    color: Rgb = BLACK,
    align: 'left' | 'right' | 'center' = 'left',
  ): void {
    const advance = 6 * SCALE;
    const width = value.length * advance;
    let cx = align === 'left' ? x : align === 'right' ? x - width : x - width / 2;
    for (const char of value.toUpperCase()) {
      const glyph = FONT[char];
      if (glyph) {
        glyph.forEach((row, r) => {
          for (let c = 0; c < 5; c++) {
            if (row & (16 >> c))
              this.rect(
                cx + c * SCALE,
                y + r * SCALE,
                cx + c * SCALE + SCALE - 1,
                y + r * SCALE + SCALE - 1,
                color,
              );
          }
        });
      }
      cx += advance;
    }
  }
}

/** Round tick steps (1, 2, 5 × 10^n) giving about `count` ticks over the span. */
function ticks(min: number, max: number, count: number): number[] {
  const raw = (max - min) / count;
  const magnitude = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((m) => m * magnitude).find((s) => s >= raw) ?? raw;
  const out: number[] = [];
  for (let v = Math.ceil(min / step) * step; v <= max + 1e-9; v += step)
    out.push(Number(v.toPrecision(10)));
  return out;
}

function drawPanel(canvas: Canvas, top: number, panel: Panel, xMax: number, xLabel: string): void {
  const left = MARGIN.left;
  const right = canvas.width - MARGIN.right;
  const plotTop = top + MARGIN.top;
  const bottom = top + PANEL_HEIGHT - MARGIN.bottom;
  const ys = panel.series.flatMap((s) => s.points.map((p) => p.y)).filter(Number.isFinite);
  const marks = panel.marks ?? [];
  const yMaxRaw = Math.max(1, ...ys, ...marks.map((m) => m.y));
  const yMinRaw = Math.min(...ys, ...marks.map((m) => m.y));
  const pad = (yMaxRaw - yMinRaw) * 0.1 || yMaxRaw * 0.1;
  const yMin = Math.max(0, yMinRaw - pad);
  const yMax = yMaxRaw + pad;
  const px = (x: number) => left + ((right - left) * x) / xMax;
  const py = (y: number) => bottom - ((bottom - plotTop) * (y - yMin)) / (yMax - yMin);

  if (panel.shade) {
    canvas.rect(px(panel.shade.from), plotTop, px(panel.shade.to), bottom, SHADE);
    canvas.text(px(panel.shade.to) - 4, plotTop + 4, panel.shade.label, [90, 110, 150], 'right');
  }
  for (const y of ticks(yMin, yMax, 5)) {
    canvas.line(left, py(y), right, py(y), GREY);
    canvas.text(left - 8, py(y) - 7, String(y), BLACK, 'right');
  }
  for (const x of ticks(0, xMax, 10)) {
    canvas.line(px(x), bottom, px(x), bottom + 5, BLACK);
    canvas.text(px(x), bottom + 10, String(x), BLACK, 'center');
  }
  canvas.line(left, plotTop, left, bottom, BLACK);
  canvas.line(left, bottom, right, bottom, BLACK);
  canvas.text(left, top + 10, panel.title);
  canvas.text(12, plotTop - 20, panel.yLabel);
  canvas.text(right, bottom + 28, xLabel, BLACK, 'right');
  for (const v of panel.vlines ?? []) {
    canvas.line(px(v.x), plotTop, px(v.x), bottom, [150, 110, 190], 1, true);
    canvas.text(px(v.x) + 4, bottom - 18, v.label, [150, 110, 190]);
  }
  for (const mark of marks) {
    canvas.line(left, py(mark.y), right, py(mark.y), mark.color, 1, true);
    canvas.text(left + 6, py(mark.y) + 6, mark.label, mark.color);
  }
  let legendX = right;
  for (const series of [...panel.series].reverse()) {
    canvas.text(legendX, top + 10, series.label, series.color, 'right');
    legendX -= (series.label.length + 3) * 6 * SCALE;
    const points = series.points.filter((p) => Number.isFinite(p.y));
    for (let i = 1; i < points.length; i++) {
      canvas.line(
        px(points[i - 1].x),
        py(points[i - 1].y),
        px(points[i].x),
        py(points[i].y),
        series.color,
        2,
      );
    }
  }
}

/** Panels stacked vertically over one x axis from 0 to xMax; written to `file` as a PNG. */
export function writeChart(file: string, panels: Panel[], xMax: number, xLabel: string): void {
  const canvas = new Canvas(WIDTH, PANEL_HEIGHT * panels.length);
  panels.forEach((panel, i) => drawPanel(canvas, i * PANEL_HEIGHT, panel, xMax, xLabel));
  writeFileSync(file, PNG.sync.write(canvas.png));
}
