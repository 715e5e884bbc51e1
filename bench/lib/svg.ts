// The scale chart: wall time against host count, one polyline per series, hand-written
// SVG (no dependency, and it diffs as text). Medians as points, min-max as whiskers.

export interface Point {
  hosts: number;
  median: number;
  min: number;
  max: number;
}

export interface Series {
  label: string;
  color: string;
  dashed?: boolean;
  points: Point[];
}

function esc(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/** A "nice" upper bound for an axis: 1, 2 or 5 times a power of ten. */
export function niceMax(v: number): number {
  if (v <= 0) return 1;
  const p = 10 ** Math.floor(Math.log10(v));
  for (const m of [1, 2, 5, 10]) if (m * p >= v) return m * p;
  return 10 * p;
}

export function scaleChart(title: string, subtitle: string, series: readonly Series[], yLabel = 'wall time (s)'): string {
  const W = 720;
  const H = 440;
  const m = { l: 70, r: 200, t: 56, b: 56 };
  const pw = W - m.l - m.r;
  const ph = H - m.t - m.b;
  const all = series.flatMap((s) => s.points);
  const xMax = niceMax(Math.max(1, ...all.map((p) => p.hosts)));
  const yMax = niceMax(Math.max(0.001, ...all.map((p) => p.max)));
  const x = (h: number): number => m.l + (h / xMax) * pw;
  const y = (v: number): number => m.t + ph - (v / yMax) * ph;
  const out: string[] = [];
  out.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="sans-serif" font-size="12">`);
  out.push(`<rect width="${W}" height="${H}" fill="white"/>`);
  out.push(`<text x="${m.l}" y="22" font-size="15" font-weight="bold">${esc(title)}</text>`);
  out.push(`<text x="${m.l}" y="40" fill="#555">${esc(subtitle)}</text>`);
  for (let i = 0; i <= 5; i++) {
    const v = (yMax * i) / 5;
    out.push(`<line x1="${m.l}" y1="${y(v).toFixed(1)}" x2="${m.l + pw}" y2="${y(v).toFixed(1)}" stroke="#e5e5e5"/>`);
    out.push(`<text x="${m.l - 8}" y="${(y(v) + 4).toFixed(1)}" text-anchor="end">${+v.toFixed(2)}</text>`);
  }
  for (let i = 0; i <= 5; i++) {
    const h = (xMax * i) / 5;
    out.push(`<line x1="${x(h).toFixed(1)}" y1="${m.t + ph}" x2="${x(h).toFixed(1)}" y2="${m.t + ph + 5}" stroke="#333"/>`);
    out.push(`<text x="${x(h).toFixed(1)}" y="${m.t + ph + 20}" text-anchor="middle">${+h.toFixed(0)}</text>`);
  }
  out.push(`<line x1="${m.l}" y1="${m.t}" x2="${m.l}" y2="${m.t + ph}" stroke="#333"/>`);
  out.push(`<line x1="${m.l}" y1="${m.t + ph}" x2="${m.l + pw}" y2="${m.t + ph}" stroke="#333"/>`);
  out.push(`<text x="${m.l + pw / 2}" y="${H - 14}" text-anchor="middle">hosts</text>`);
  out.push(`<text transform="translate(18 ${m.t + ph / 2}) rotate(-90)" text-anchor="middle">${esc(yLabel)}</text>`);
  series.forEach((s, i) => {
    const pts = [...s.points].sort((a, b) => a.hosts - b.hosts);
    const dash = s.dashed ? ' stroke-dasharray="6 4"' : '';
    if (pts.length > 1) {
      out.push(
        `<polyline fill="none" stroke="${s.color}" stroke-width="2"${dash} points="${pts.map((p) => `${x(p.hosts).toFixed(1)},${y(p.median).toFixed(1)}`).join(' ')}"/>`,
      );
    }
    for (const p of pts) {
      out.push(
        `<line x1="${x(p.hosts).toFixed(1)}" y1="${y(p.min).toFixed(1)}" x2="${x(p.hosts).toFixed(1)}" y2="${y(p.max).toFixed(1)}" stroke="${s.color}"/>`,
      );
      out.push(
        `<circle cx="${x(p.hosts).toFixed(1)}" cy="${y(p.median).toFixed(1)}" r="3.5" fill="${s.color}"><title>${esc(`${s.label}: ${p.hosts} hosts, median ${(p.median).toFixed(2)} s (${p.min.toFixed(2)}-${p.max.toFixed(2)})`)}</title></circle>`,
      );
    }
    const ly = m.t + 10 + i * 20;
    out.push(`<line x1="${m.l + pw + 16}" y1="${ly}" x2="${m.l + pw + 40}" y2="${ly}" stroke="${s.color}" stroke-width="2"${dash}/>`);
    out.push(`<text x="${m.l + pw + 46}" y="${ly + 4}">${esc(s.label)}</text>`);
  });
  out.push('</svg>');
  return out.join('\n') + '\n';
}
