// Line charts as inline SVG: time on x, one or more series on y, drawn by hand (no library, no network).
import { h, s } from './dom.js';
import { number } from './format.js';

const width = 640;
const height = 240;
const margin = { top: 16, right: 16, bottom: 36, left: 64 };

/** Round tick values from at or below `low` to at or above `high`: about `count` of them, at 1, 2 or 5 times a power of ten. */
export function ticks(low, high, count = 5) {
  if (!(high > low)) return [low];
  const raw = (high - low) / count;
  const power = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((m) => m * power).find((candidate) => candidate >= raw) ?? raw;
  const values = [];
  const first = Math.floor(low / step + 1e-9) * step;
  for (let value = first; values.length === 0 || values[values.length - 1] < high - step * 1e-9; value += step) values.push(Number(value.toPrecision(12)));
  return values;
}

/**
 * A chart of series over time.
 * @param {{title: string, yLabel: string, series: {name: string, kind: string, points: {x: number, y: number, note?: string}[], step?: boolean, markers?: boolean}[],
 *          formatY?: (v: number) => string, formatX?: (ms: number) => string, yFromZero?: boolean, xDomain?: [number, number]}} spec
 * `xDomain` fixes the time axis (e.g. the whole period asked for) instead of fitting it to the points.
 * `marks` are moments drawn as vertical lines across the plot (e.g. a watch that tripped during a soak), `{x, label, kind, note?}`;
 * the time axis stretches to take them in.
 */
export function lineChart(spec) {
  const formatY = spec.formatY ?? number;
  const formatX = spec.formatX ?? ((ms) => new Date(ms).toISOString().slice(11, 16));
  const all = spec.series.flatMap((line) => line.points).filter((p) => Number.isFinite(p.x) && Number.isFinite(p.y));
  const marks = (spec.marks ?? []).filter((mark) => Number.isFinite(mark.x));
  const figure = h('figure', { class: 'chart' }, h('figcaption', null, spec.title));
  if (all.length === 0) {
    figure.append(h('p', { class: 'empty' }, 'No values to draw yet.'));
    return figure;
  }

  const moments = [...all.map((p) => p.x), ...marks.map((mark) => mark.x)];
  let [xLow, xHigh] = spec.xDomain ?? [Math.min(...moments), Math.max(...moments)];
  if (xLow === xHigh) [xLow, xHigh] = [xLow - 60000, xHigh + 60000];
  let yLow = Math.min(...all.map((p) => p.y));
  let yHigh = Math.max(...all.map((p) => p.y));
  if (spec.yFromZero !== false) yLow = Math.min(0, yLow);
  if (yLow === yHigh) yHigh = yLow + (Math.abs(yLow) || 1);
  const yTicks = ticks(yLow, yHigh);
  yLow = Math.min(yLow, yTicks[0]);
  yHigh = Math.max(yHigh, yTicks[yTicks.length - 1]);

  const plotWidth = width - margin.left - margin.right;
  const plotHeight = height - margin.top - margin.bottom;
  const x = (value) => margin.left + ((value - xLow) / (xHigh - xLow)) * plotWidth;
  const y = (value) => margin.top + plotHeight - ((value - yLow) / (yHigh - yLow)) * plotHeight;

  const summary = spec.series.map((line) => `${line.name}: ${line.points.length} value(s)`).join('; ');
  const svg = s('svg', { viewBox: `0 0 ${width} ${height}`, role: 'img', 'aria-label': `${spec.title}. ${summary}.`, preserveAspectRatio: 'xMidYMid meet' });
  const grid = s('g', { class: 'grid' });
  for (const value of yTicks) {
    grid.append(s('line', { x1: margin.left, x2: width - margin.right, y1: y(value), y2: y(value) }));
    grid.append(s('text', { x: margin.left - 6, y: y(value), class: 'tick y', 'dominant-baseline': 'middle', 'text-anchor': 'end' }, formatY(value)));
  }
  const xCount = spec.xDomain ? 5 : Math.min(5, new Set(moments).size);
  for (let i = 0; i < xCount; i++) {
    const value = xCount === 1 ? (xLow + xHigh) / 2 : xLow + ((xHigh - xLow) * i) / (xCount - 1);
    // The outer labels align inwards so they stay inside the drawing.
    const anchor = xCount === 1 ? 'middle' : i === 0 ? 'start' : i === xCount - 1 ? 'end' : 'middle';
    grid.append(s('text', { x: x(value), y: height - margin.bottom + 18, class: 'tick x', 'text-anchor': anchor }, formatX(value)));
  }
  grid.append(s('text', { x: 12, y: margin.top + plotHeight / 2, class: 'axis-label', transform: `rotate(-90 12 ${margin.top + plotHeight / 2})`, 'text-anchor': 'middle' }, spec.yLabel));
  svg.append(grid);

  for (const line of spec.series) {
    const points = line.points.filter((p) => Number.isFinite(p.x) && Number.isFinite(p.y)).sort((a, b) => a.x - b.x);
    if (points.length === 0) continue;
    const group = s('g', { class: `series ${line.kind}`, 'data-series': line.name });
    let path = '';
    points.forEach((p, i) => {
      if (i === 0) path += `M${x(p.x)},${y(p.y)}`;
      else if (line.step) path += `H${x(p.x)}V${y(p.y)}`;
      else path += `L${x(p.x)},${y(p.y)}`;
    });
    if (points.length === 1 && line.step) path += `H${x(points[0].x) + 12}`;
    group.append(s('path', { d: path, class: 'line' }));
    if (line.markers !== false) {
      for (const p of points) {
        group.append(s('circle', { cx: x(p.x), cy: y(p.y), r: 4, class: 'point' },
          s('title', null, `${line.name} at ${formatX(p.x)}: ${formatY(p.y)}${p.note ? ` (${p.note})` : ''}`)));
      }
    }
    svg.append(group);
  }
  for (const mark of marks) {
    // A moment, not a value: a line across the plot, its label at the top, the details on hover.
    svg.append(s('g', { class: `mark ${mark.kind}`, 'data-mark': mark.kind },
      s('line', { x1: x(mark.x), x2: x(mark.x), y1: margin.top, y2: margin.top + plotHeight }),
      s('text', { x: x(mark.x) + 3, y: margin.top + 10, class: 'mark-label' }, mark.label),
      s('title', null, `${mark.label} at ${formatX(mark.x)}${mark.note ? `: ${mark.note}` : ''}`)));
  }
  figure.append(svg);

  const markKinds = [...new Map(marks.map((mark) => [mark.kind, mark])).values()];
  figure.append(h('ul', { class: 'legend' }, spec.series.map((line) =>
    h('li', { class: line.kind }, h('span', { class: 'swatch', 'aria-hidden': 'true' }), line.name)),
  markKinds.map((mark) => h('li', { class: `mark ${mark.kind}` }, h('span', { class: 'swatch', 'aria-hidden': 'true' }), mark.label))));

  // The same numbers as a table, for screen readers and for copying.
  const xs = [...new Set(all.map((p) => p.x))].sort((a, b) => a - b);
  figure.append(h('details', { class: 'chart-data' }, h('summary', null, 'Values'),
    h('table', null,
      h('thead', null, h('tr', null, h('th', { scope: 'col' }, 'time'), spec.series.map((line) => h('th', { scope: 'col' }, line.name)))),
      h('tbody', null, xs.map((value) => h('tr', null, h('th', { scope: 'row' }, formatX(value)),
        spec.series.map((line) => {
          const point = line.points.find((p) => p.x === value);
          return h('td', null, point ? formatY(point.y) : '');
        })))))));
  return figure;
}
