// Small SVG charts drawn in the browser: horizontal bars, columns over time and a day × session heat map.
// Each chart is a picture of the table beside it (the table is what screen readers and copying use), so the
// SVG is marked as an image labelled by its heading and its text never comes from HTML: labels go in as text.

const SVG = "http://www.w3.org/2000/svg";

function svgNode(tag, attributes = {}, text) {
  const node = document.createElementNS(SVG, tag);
  for (const [name, value] of Object.entries(attributes)) node.setAttribute(name, String(value));
  if (text !== undefined) node.textContent = String(text);
  return node;
}

function frame(width, height, labelledBy) {
  const svg = svgNode("svg", {
    viewBox: `0 0 ${width} ${height}`,
    class: "app-chart__svg",
    role: "img",
    focusable: "false",
    preserveAspectRatio: "xMinYMin meet",
  });
  if (labelledBy) svg.setAttribute("aria-labelledby", labelledBy);
  return svg;
}

function clip(text, max) {
  const value = String(text ?? "");
  return value.length > max ? `${value.slice(0, max - 1)}…` : value;
}

/** Horizontal bars: one per row ({label, count}), longest first as given. */
export function barChart(rows, { labelledBy, labelWidth = 230 } = {}) {
  const barHeight = 22;
  const gap = 6;
  const width = 640;
  const plot = width - labelWidth - 50;
  const top = Math.max(1, ...rows.map((row) => Number(row.count) || 0));
  const svg = frame(width, Math.max(rows.length, 1) * (barHeight + gap) + gap, labelledBy);
  rows.forEach((row, index) => {
    const y = gap + index * (barHeight + gap);
    const count = Number(row.count) || 0;
    const label = svgNode("text", { x: labelWidth - 8, y: y + barHeight * 0.7, "text-anchor": "end", class: "app-chart__label" }, clip(row.label, 34));
    label.append(svgNode("title", {}, row.label));
    svg.append(label);
    svg.append(svgNode("rect", { x: labelWidth, y, width: Math.max(count ? 2 : 0, (count / top) * plot), height: barHeight, class: "app-chart__bar" }));
    svg.append(svgNode("text", { x: labelWidth + (count / top) * plot + 6, y: y + barHeight * 0.7, class: "app-chart__value" }, count));
  });
  return svg;
}

/** Columns in time order ({label, count}), e.g. weeks or months; every other label when crowded. */
export function columnChart(rows, { labelledBy, labelFor = (label) => label } = {}) {
  const width = 640;
  const height = 240;
  const left = 36;
  const bottom = 46;
  const plotHeight = height - bottom - 12;
  const step = (width - left - 8) / Math.max(rows.length, 1);
  const top = Math.max(1, ...rows.map((row) => Number(row.count) || 0));
  const svg = frame(width, height, labelledBy);
  svg.append(svgNode("line", { x1: left, y1: height - bottom, x2: width - 4, y2: height - bottom, class: "app-chart__axis" }));
  svg.append(svgNode("text", { x: left - 6, y: 16, "text-anchor": "end", class: "app-chart__value" }, top));
  svg.append(svgNode("text", { x: left - 6, y: height - bottom, "text-anchor": "end", class: "app-chart__value" }, 0));
  const every = Math.ceil(rows.length / 12);
  rows.forEach((row, index) => {
    const count = Number(row.count) || 0;
    const barHeight = (count / top) * plotHeight;
    const x = left + index * step + step * 0.15;
    const bar = svgNode("rect", { x, y: height - bottom - barHeight, width: step * 0.7, height: barHeight, class: "app-chart__bar" });
    bar.append(svgNode("title", {}, `${labelFor(row.label)}: ${count}`));
    svg.append(bar);
    if (count) svg.append(svgNode("text", { x: x + step * 0.35, y: height - bottom - barHeight - 4, "text-anchor": "middle", class: "app-chart__value" }, count));
    if (index % every === 0) {
      svg.append(svgNode("text", { x: x + step * 0.35, y: height - bottom + 16, "text-anchor": "middle", class: "app-chart__label" }, clip(labelFor(row.label), 10)));
    }
  });
  return svg;
}

/** A grid of days (rows) × sessions (columns), darker for more; each cell shows its number. */
export function heatMap({ days, sessions, cells }, { labelledBy } = {}) {
  const left = 100;
  const topMargin = 70;
  const cell = 64;
  const width = left + sessions.length * cell + 4;
  const height = topMargin + days.length * 34 + 4;
  const most = Math.max(1, ...cells.flat());
  const svg = frame(width, height, labelledBy);
  sessions.forEach((session, column) => {
    const x = left + column * cell + cell / 2;
    const label = svgNode("text", { x, y: topMargin - 8, "text-anchor": "start", transform: `rotate(-35 ${x} ${topMargin - 8})`, class: "app-chart__label" }, clip(session, 14));
    label.append(svgNode("title", {}, session));
    svg.append(label);
  });
  days.forEach((day, row) => {
    const y = topMargin + row * 34;
    svg.append(svgNode("text", { x: left - 8, y: y + 21, "text-anchor": "end", class: "app-chart__label" }, day));
    sessions.forEach((session, column) => {
      const count = cells[row]?.[column] ?? 0;
      const shade = count ? 0.15 + 0.85 * (count / most) : 0;
      const box = svgNode("rect", { x: left + column * cell + 1, y: y + 1, width: cell - 2, height: 32, class: "app-chart__cell", "fill-opacity": shade.toFixed(2) });
      box.append(svgNode("title", {}, `${day}, ${session}: ${count}`));
      svg.append(box);
      svg.append(svgNode("text", { x: left + column * cell + cell / 2, y: y + 21, "text-anchor": "middle", class: shade > 0.55 ? "app-chart__value app-chart__value--light" : "app-chart__value" }, count));
    });
  });
  return svg;
}
