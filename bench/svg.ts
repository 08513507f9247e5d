// One kind of chart, enough for every figure of the bench: grouped bars, with
// an optional whisker above each bar (p99 over a p50 bar), on a linear or a
// logarithmic scale. Plain SVG text, no script, nothing fetched.

export interface BarSeries {
  name: string;
  color: string;
}

export interface BarChart {
  title: string;
  /** What the values measure, e.g. "req/s", "ms", "bytes". */
  unit: string;
  groups: string[];
  series: BarSeries[];
  /** values[series][group]; null draws nothing (not measured). */
  values: Array<Array<number | null>>;
  /** An upper mark per bar (e.g. p99 above a p50 bar), same layout as values. */
  whiskers?: Array<Array<number | null>>;
  /** 'log' when values span several powers of ten. */
  scale?: 'linear' | 'log';
  format?: (value: number) => string;
}

const WIDTH = 720;
const HEIGHT = 300;
const MARGIN = { top: 44, right: 16, bottom: 44, left: 64 };

export function escapeXml(text: string): string {
  return text.replace(/[&<>"']/g, (char) => `&#${char.charCodeAt(0)};`);
}

/** A short number for labels: 1,234 · 12.3 · 0.45 · 1.2k · 3.4M. */
export function shortNumber(value: number): string {
  const magnitude = Math.abs(value);
  // Number() drops the zeros toPrecision adds after a decimal point ("12.0" → 12), not those before it.
  if (magnitude >= 1e6) return `${Number((value / 1e6).toPrecision(3))}M`;
  if (magnitude >= 1e4) return `${Number((value / 1e3).toPrecision(3))}k`;
  if (magnitude >= 100) return Math.round(value).toLocaleString('en-US');
  if (magnitude >= 10) return value.toFixed(1);
  if (magnitude >= 1) return value.toFixed(2);
  return value.toPrecision(2);
}

interface Axis {
  y(value: number): number;
  ticks: number[];
}

function linearAxis(max: number, top: number, bottom: number): Axis {
  const rough = max / 5 || 1;
  const power = 10 ** Math.floor(Math.log10(rough));
  const step = [1, 2, 2.5, 5, 10].map((factor) => factor * power).find((candidate) => candidate >= rough)!;
  const limit = Math.max(step, Math.ceil(max / step) * step);
  const ticks: number[] = [];
  for (let tick = 0; tick <= limit + step / 2; tick += step) ticks.push(tick);
  return { y: (value) => bottom - (Math.max(0, value) / limit) * (bottom - top), ticks };
}

function logAxis(min: number, max: number, top: number, bottom: number): Axis {
  const low = Math.floor(Math.log10(min));
  const high = Math.max(low + 1, Math.ceil(Math.log10(max)));
  const ticks: number[] = [];
  for (let power = low; power <= high; power++) ticks.push(10 ** power);
  return {
    y: (value) => bottom - ((Math.log10(Math.max(value, 10 ** low)) - low) / (high - low)) * (bottom - top),
    ticks,
  };
}

/** The chart as an <svg> element, sized by its viewBox (it scales with the page). */
export function renderBarChart(chart: BarChart): string {
  const format = chart.format ?? shortNumber;
  const plotTop = MARGIN.top;
  const plotBottom = HEIGHT - MARGIN.bottom;
  const plotLeft = MARGIN.left;
  const plotRight = WIDTH - MARGIN.right;
  const measured = [...chart.values.flat(), ...(chart.whiskers?.flat() ?? [])].filter(
    (value): value is number => value !== null && value > 0,
  );
  const max = Math.max(...measured, 0);
  const log = chart.scale === 'log' && measured.length > 0;
  const axis = log ? logAxis(Math.min(...measured), max, plotTop, plotBottom) : linearAxis(max, plotTop, plotBottom);

  const parts: string[] = [];
  parts.push(`<text x="${plotLeft}" y="18" class="chart-title">${escapeXml(chart.title)}</text>`);
  // Legend, on one line under the title.
  let legendX = plotLeft;
  for (const series of chart.series) {
    parts.push(`<rect x="${legendX}" y="26" width="10" height="10" fill="${series.color}"/>`);
    parts.push(`<text x="${legendX + 14}" y="35" class="legend">${escapeXml(series.name)}</text>`);
    legendX += 24 + series.name.length * 6.5;
  }
  // Axis: grid lines with their values, and the unit.
  for (const tick of axis.ticks) {
    const y = axis.y(tick).toFixed(1);
    parts.push(`<line x1="${plotLeft}" x2="${plotRight}" y1="${y}" y2="${y}" class="grid"/>`);
    parts.push(`<text x="${plotLeft - 6}" y="${y}" dy="4" text-anchor="end" class="tick">${escapeXml(format(tick))}</text>`);
  }
  parts.push(
    `<text transform="translate(14 ${(plotTop + plotBottom) / 2}) rotate(-90)" text-anchor="middle" class="unit">${escapeXml(chart.unit + (log ? ' (log scale)' : ''))}</text>`,
  );

  const groupWidth = (plotRight - plotLeft) / Math.max(1, chart.groups.length);
  const barWidth = (groupWidth * 0.8) / Math.max(1, chart.series.length);
  chart.groups.forEach((group, groupIndex) => {
    const groupLeft = plotLeft + groupIndex * groupWidth + groupWidth * 0.1;
    parts.push(
      `<text x="${(groupLeft + groupWidth * 0.4).toFixed(1)}" y="${plotBottom + 18}" text-anchor="middle" class="group">${escapeXml(group)}</text>`,
    );
    chart.series.forEach((series, seriesIndex) => {
      const value = chart.values[seriesIndex]?.[groupIndex] ?? null;
      if (value === null) return;
      const x = groupLeft + seriesIndex * barWidth;
      const top = axis.y(value);
      const label = `${series.name}, ${group}: ${format(value)} ${chart.unit}`;
      parts.push(
        `<rect x="${x.toFixed(1)}" y="${top.toFixed(1)}" width="${(barWidth - 2).toFixed(1)}" height="${Math.max(0, plotBottom - top).toFixed(1)}" fill="${series.color}"><title>${escapeXml(label)}</title></rect>`,
      );
      const whisker = chart.whiskers?.[seriesIndex]?.[groupIndex] ?? null;
      const middle = (x + (barWidth - 2) / 2).toFixed(1);
      let labelY = top;
      if (whisker !== null && whisker > value) {
        const whiskerTop = axis.y(whisker);
        labelY = whiskerTop;
        parts.push(`<line x1="${middle}" x2="${middle}" y1="${top.toFixed(1)}" y2="${whiskerTop.toFixed(1)}" class="whisker"/>`);
        parts.push(
          `<line x1="${(x + barWidth * 0.2).toFixed(1)}" x2="${(x + barWidth * 0.8 - 2).toFixed(1)}" y1="${whiskerTop.toFixed(1)}" y2="${whiskerTop.toFixed(1)}" class="whisker"/>`,
        );
      }
      parts.push(
        `<text x="${middle}" y="${(labelY - 4).toFixed(1)}" text-anchor="middle" class="value">${escapeXml(format(value))}</text>`,
      );
    });
  });
  parts.push(`<line x1="${plotLeft}" x2="${plotRight}" y1="${plotBottom}" y2="${plotBottom}" class="axis"/>`);
  return `<svg viewBox="0 0 ${WIDTH} ${HEIGHT}" role="img" aria-label="${escapeXml(chart.title)}">${parts.join('')}</svg>`;
}
