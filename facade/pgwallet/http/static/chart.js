// A small chart of one asset's balance over the loaded history, as inline SVG.
// Balances are BigInt: they are scaled against the range in BigInt, and only
// the resulting fraction (a pixel position) becomes a JavaScript number.

const SVG = "http://www.w3.org/2000/svg";
const WIDTH = 160;
const HEIGHT = 40;
const PAD = 3;

/**
 * An SVG step line through `balances` (BigInt, oldest first), one step per
 * posting, equally spaced so that bursts of postings stay readable.
 */
export function balanceChart(balances, label) {
  const svg = document.createElementNS(SVG, "svg");
  svg.setAttribute("viewBox", `0 0 ${WIDTH} ${HEIGHT}`);
  svg.setAttribute("class", "chart");
  svg.setAttribute("role", "img");
  svg.setAttribute("aria-label", label);
  const title = document.createElementNS(SVG, "title");
  title.textContent = label;
  svg.append(title);
  if (balances.length === 0) return svg;

  let low = balances[0];
  let high = balances[0];
  for (const b of balances) {
    if (b < low) low = b;
    if (b > high) high = b;
  }
  const span = high - low;
  const y = (b) => {
    const fraction = span === 0n ? 0.5 : Number(((b - low) * 10000n) / span) / 10000;
    return (HEIGHT - PAD - fraction * (HEIGHT - 2 * PAD)).toFixed(1);
  };
  // Each balance gets an equal stretch, held until the next posting changes it.
  const x = (i) => (PAD + (i * (WIDTH - 2 * PAD)) / balances.length).toFixed(1);
  let d = `M${x(0)},${y(balances[0])} H${x(1)}`;
  for (let i = 1; i < balances.length; i++) d += ` V${y(balances[i])} H${x(i + 1)}`;
  const line = document.createElementNS(SVG, "path");
  line.setAttribute("d", d);
  svg.append(line);
  return svg;
}
