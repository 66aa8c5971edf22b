import { escapeHtml } from '../common/html';

/**
 * The overview's charts as SVG drawn on the server: no chart library, no script, nothing inline that the
 * console's CSP (style-src 'self') would refuse: colours come from classes in console.css. Every chart
 * has a title and a description for screen readers; the page puts the same numbers in a table.
 */

const esc = (value: string | number) => escapeHtml(String(value));

export interface StackedRow {
  label: string;
  /** Segment name (a CSS class suffix) → count. */
  parts: { name: string; value: number }[];
}

/** One horizontal bar per row, its segments side by side; the longest bar spans the width. */
export function horizontalStacked(id: string, title: string, rows: StackedRow[]): string {
  const width = 640;
  const labelWidth = 170;
  const countWidth = 60;
  const rowHeight = 30;
  const barWidth = width - labelWidth - countWidth;
  const max = Math.max(1, ...rows.map((r) => r.parts.reduce((s, p) => s + p.value, 0)));
  const height = Math.max(1, rows.length) * rowHeight + 10;
  const bars = rows.map((row, i) => {
    const y = 5 + i * rowHeight;
    let x = labelWidth;
    const total = row.parts.reduce((s, p) => s + p.value, 0);
    const segments = row.parts
      .filter((p) => p.value > 0)
      .map((p) => {
        const w = (p.value / max) * barWidth;
        const rect = `<rect class="seg-${esc(p.name)}" x="${x.toFixed(1)}" y="${y}" width="${w.toFixed(1)}" height="${rowHeight - 8}"><title>${esc(row.label)}: ${esc(p.value)} ${esc(p.name.replace(/_/g, ' '))}</title></rect>`;
        x += w;
        return rect;
      })
      .join('');
    return `<text class="label" x="${labelWidth - 8}" y="${y + rowHeight / 2}" text-anchor="end">${esc(row.label)}</text>${segments}<text class="count" x="${(x + 6).toFixed(1)}" y="${y + rowHeight / 2}">${esc(total)}</text>`;
  });
  return svg(id, title, width, height, bars.join(''), rows.length ? '' : 'No connections yet.');
}

export interface Column {
  label: string;
  /** Series name (a CSS class suffix) → value, stacked bottom up in this order. */
  parts: { name: string; value: number }[];
}

/** Vertical bars over time (hours), stacked; every fourth label shown. */
export function columns(id: string, title: string, cols: Column[]): string {
  const width = 640;
  const height = 200;
  const bottom = 24;
  const left = 36;
  const plot = height - bottom - 8;
  const max = Math.max(1, ...cols.map((c) => c.parts.reduce((s, p) => s + p.value, 0)));
  const step = (width - left) / Math.max(1, cols.length);
  const items = cols.map((col, i) => {
    const x = left + i * step + 2;
    let y = height - bottom;
    const rects = col.parts
      .filter((p) => p.value > 0)
      .map((p) => {
        const h = (p.value / max) * plot;
        y -= h;
        return `<rect class="seg-${esc(p.name)}" x="${x.toFixed(1)}" y="${y.toFixed(1)}" width="${(step - 4).toFixed(1)}" height="${h.toFixed(1)}"><title>${esc(col.label)}: ${esc(p.value)} ${esc(p.name)}</title></rect>`;
      })
      .join('');
    const tick =
      i % 4 === 0
        ? `<text class="tick" x="${(x + (step - 4) / 2).toFixed(1)}" y="${height - 6}" text-anchor="middle">${esc(col.label)}</text>`
        : '';
    return rects + tick;
  });
  const axis = `<line class="axis" x1="${left}" y1="${height - bottom}" x2="${width}" y2="${height - bottom}"/><text class="tick" x="${left - 6}" y="14" text-anchor="end">${esc(max)}</text><text class="tick" x="${left - 6}" y="${height - bottom}" text-anchor="end">0</text>`;
  return svg(id, title, width, height, axis + items.join(''), '');
}

function svg(id: string, title: string, width: number, height: number, body: string, empty: string): string {
  return `<svg id="${esc(id)}" class="chart" viewBox="0 0 ${width} ${height}" role="img" aria-labelledby="${esc(id)}-title"><title id="${esc(id)}-title">${esc(title)}</title>${body}${empty ? `<text class="empty" x="10" y="20">${esc(empty)}</text>` : ''}</svg>`;
}
