// Charts drawn as SVG by the console itself (no chart library: a few bars,
// lines and heat maps are less code than a dependency). Each chart is an
// image with a title for screen readers; the figures are also in the tables
// beside it. Colours are presentation attributes, so the strict CSP holds.

const NS = "http://www.w3.org/2000/svg";

function s(tag, attrs, ...children) {
  const el = document.createElementNS(NS, tag);
  for (const [k, v] of Object.entries(attrs || {})) el.setAttribute(k, String(v));
  for (const c of children) if (c !== null && c !== undefined)
    el.appendChild(typeof c === "string" ? document.createTextNode(c) : c);
  return el;
}

function frame(title, width, height) {
  const svg = s("svg", {viewBox: `0 0 ${width} ${height}`, role: "img", "aria-label": title, class: "chart"});
  svg.appendChild(s("title", {}, title));
  return svg;
}

const palette = ["#1f5fa8", "#c2571a", "#2e7d4f", "#7b3fa0", "#9a6b00", "#b02a4a"];

function ticks(max) {
  if (max <= 0) return [0];
  const step = 10 ** Math.floor(Math.log10(max));
  const unit = max / step > 5 ? step * 2 : max / step > 2 ? step : step / 2;
  const out = [];
  for (let v = 0; v <= max + unit / 2; v += unit) out.push(v);
  return out;
}

// Grouped bars: categories along x, one bar a series in each.
export function bars(title, categories, series, format = String) {
  const W = 720, L = 70, T = 16, R = 10;
  const band0 = (W - L - R) / Math.max(1, categories.length);
  // Labels that would run into each other are slanted, with room below for them.
  const slant = categories.some((c) => String(c).length * 6.5 > band0);
  const B = slant ? 40 + 6 * Math.min(18, Math.max(...categories.map((c) => String(c).length))) : 40;
  const H = 240 + B;
  const svg = frame(title, W, H + 24);
  const max = Math.max(1, ...series.flatMap((x) => x.values));
  const tk = ticks(max), top = tk[tk.length - 1] || 1;
  const y = (v) => T + (H - T - B) * (1 - v / top);
  for (const v of tk) {
    svg.appendChild(s("line", {x1: L, x2: W - R, y1: y(v), y2: y(v), class: "axis-line"}));
    svg.appendChild(s("text", {x: L - 6, y: y(v) + 4, "text-anchor": "end", class: "axis"}, format(v)));
  }
  const band = (W - L - R) / Math.max(1, categories.length);
  const bw = Math.max(2, (band * 0.8) / series.length);
  categories.forEach((c, i) => {
    series.forEach((se, k) => {
      const v = se.values[i] || 0;
      svg.appendChild(s("rect", {x: L + i * band + band * 0.1 + k * bw, y: y(v), width: bw - 1,
        height: Math.max(0, y(0) - y(v)), fill: palette[k % palette.length]},
      s("title", {}, `${c} · ${se.name}: ${format(v)}`)));
    });
    const x = L + i * band + band / 2, yl = H - B + 16;
    if (slant)
      svg.appendChild(s("text", {x, y: yl, "text-anchor": "end", class: "axis", transform: `rotate(-35 ${x} ${yl})`}, String(c)));
    else if (categories.length <= 24 || i % 2 === 0)
      svg.appendChild(s("text", {x, y: yl, "text-anchor": "middle", class: "axis"}, String(c)));
  });
  series.forEach((se, k) => {
    const x = L + k * 140;
    svg.appendChild(s("rect", {x, y: H + 4, width: 12, height: 12, fill: palette[k % palette.length]}));
    svg.appendChild(s("text", {x: x + 18, y: H + 15, class: "legend"}, se.name));
  });
  return svg;
}

// A curve through points [x, y] in [0,1]², with the diagonal (Lorenz).
export function curve(title, points, xLabel, yLabel) {
  const W = 420, H = 420, P = 50;
  const svg = frame(title, W, H);
  const X = (v) => P + (W - 2 * P) * v, Y = (v) => H - P - (H - 2 * P) * v;
  svg.appendChild(s("rect", {x: P, y: P, width: W - 2 * P, height: H - 2 * P, class: "plot"}));
  svg.appendChild(s("line", {x1: X(0), y1: Y(0), x2: X(1), y2: Y(1), class: "diagonal"}));
  svg.appendChild(s("polyline", {points: points.map(([x, y]) => `${X(x)},${Y(y)}`).join(" "), class: "curve", fill: "none", stroke: palette[0]}));
  for (const v of [0, 0.25, 0.5, 0.75, 1]) {
    svg.appendChild(s("text", {x: X(v), y: H - P + 18, "text-anchor": "middle", class: "axis"}, `${v * 100}%`));
    svg.appendChild(s("text", {x: P - 6, y: Y(v) + 4, "text-anchor": "end", class: "axis"}, `${v * 100}%`));
  }
  svg.appendChild(s("text", {x: W / 2, y: H - 8, "text-anchor": "middle", class: "legend"}, xLabel));
  svg.appendChild(s("text", {x: 14, y: H / 2, "text-anchor": "middle", class: "legend", transform: `rotate(-90 14 ${H / 2})`}, yLabel));
  return svg;
}

// A heat map: rows × cols, value(r, c) a number; darker is more.
export function heat(title, rows, cols, value, format = String) {
  const cell = 64, L = 120, T = 90;
  const W = L + cols.length * cell + 10, H = T + rows.length * cell + 10;
  const svg = frame(title, W, H);
  svg.setAttribute("class", "chart heat");
  svg.setAttribute("width", String(W)); // its own size: a 2×2 map stays small
  let max = 0;
  rows.forEach((r) => cols.forEach((c) => { max = Math.max(max, value(r, c) || 0); }));
  cols.forEach((c, j) => svg.appendChild(s("text", {x: L + j * cell + cell / 2, y: T - 8, "text-anchor": "start",
    class: "axis", transform: `rotate(-35 ${L + j * cell + cell / 2} ${T - 8})`}, String(c))));
  rows.forEach((r, i) => {
    svg.appendChild(s("text", {x: L - 8, y: T + i * cell + cell / 2 + 4, "text-anchor": "end", class: "axis"}, String(r)));
    cols.forEach((c, j) => {
      const v = value(r, c);
      const a = max > 0 && v ? v / max : 0;
      const light = Math.round(97 - a * 62);
      svg.appendChild(s("rect", {x: L + j * cell, y: T + i * cell, width: cell - 2, height: cell - 2,
        fill: v === null || v === undefined ? "#f2f2f2" : `hsl(212, 70%, ${light}%)`},
      s("title", {}, `${r} · ${c}: ${v === null || v === undefined ? "—" : format(v)}`)));
      if (v !== null && v !== undefined)
        svg.appendChild(s("text", {x: L + j * cell + cell / 2 - 1, y: T + i * cell + cell / 2 + 4, "text-anchor": "middle",
          class: light < 60 ? "cell light" : "cell"}, format(v)));
    });
  });
  return svg;
}
