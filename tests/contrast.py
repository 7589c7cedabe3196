"""WCAG 2.1 contrast (1.4.3, AA) of every visible text of a page, measured in Chromium: the
widget's tests and the nurse console's use the same script."""

from __future__ import annotations

# JavaScript run in the page: WCAG contrast of every visible text under ROOT (an element), with
# HIDDEN (a selector) marking visually hidden text; `contrast_js` fills both.
_CONTRAST_TEMPLATE = r"""
() => {
  const start = ROOT;
  const parse = (c) => {
    const m = c.match(/rgba?\(([^)]+)\)/);
    if (!m) return null;
    const p = m[1].split(/[ ,/]+/).filter(Boolean).map(Number);
    return {r: p[0], g: p[1], b: p[2], a: p.length > 3 ? p[3] : 1};
  };
  const lum = (c) => {
    const f = (v) => { v /= 255; return v <= 0.03928 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4); };
    return 0.2126 * f(c.r) + 0.7152 * f(c.g) + 0.0722 * f(c.b);
  };
  const over = (top, bottom) => ({
    r: top.r * top.a + bottom.r * (1 - top.a),
    g: top.g * top.a + bottom.g * (1 - top.a),
    b: top.b * top.a + bottom.b * (1 - top.a), a: 1});
  const parentOf = (n) => n.parentElement || (n.parentNode && n.parentNode.host) || null;
  const background = (el) => {
    const layers = [];
    for (let n = el; n; n = parentOf(n)) {
      const bg = parse(getComputedStyle(n).backgroundColor);
      if (bg && bg.a > 0) { layers.push(bg); if (bg.a >= 1) break; }
    }
    let result = {r: 255, g: 255, b: 255, a: 1};
    for (let i = layers.length - 1; i >= 0; i--) result = over(layers[i], result);
    return result;
  };
  const ratio = (a, b) => { const x = lum(a), y = lum(b); return (Math.max(x, y) + 0.05) / (Math.min(x, y) + 0.05); };
  const out = [];
  const visit = (el) => {
    const own = Array.from(el.childNodes).some(n => n.nodeType === 3 && n.textContent.trim());
    const cs = getComputedStyle(el);
    const hidden = el.closest('HIDDEN') || el.closest('[hidden]') || el.getClientRects().length === 0
      || cs.visibility === 'hidden';
    if (own && !hidden) {
      const fg = over(parse(cs.color), background(el));
      const bg = background(el);
      const size = parseFloat(cs.fontSize), bold = parseInt(cs.fontWeight, 10) >= 700;
      const large = size >= 24 || (size >= 18.66 && bold);
      const needed = el.matches(':disabled') ? 0 : (large ? 3 : 4.5);
      out.push({text: el.textContent.trim().slice(0, 40), cls: el.className, ratio: Math.round(ratio(fg, bg) * 100) / 100,
                needed, color: cs.color});
    }
    for (const child of el.children) visit(child);
  };
  visit(start);
  const input = start.querySelector('textarea');
  if (input && input.getClientRects().length) {
    const ph = getComputedStyle(input, '::placeholder');
    out.push({text: 'placeholder', cls: 'tw-input', ratio: Math.round(ratio(over(parse(ph.color), background(input)), background(input)) * 100) / 100, needed: 4.5});
  }
  return out;
}
"""


def contrast_js(root: str, hidden: str) -> str:
    """The contrast script for the element ``root`` (a JavaScript expression), ``hidden`` being
    the selector of visually hidden text. Each result: text, class, ratio and the ratio needed
    (4.5, or 3 for large text)."""
    return _CONTRAST_TEMPLATE.replace("ROOT", root).replace("HIDDEN", hidden)
