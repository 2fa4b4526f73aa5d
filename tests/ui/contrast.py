"""WCAG contrast of the page as Chromium renders it: every visible text and control, both themes.

Text must reach 4.5:1 against its effective background (the element's own
and its ancestors' backgrounds, gradients included: each stripe counts),
controls 3:1 (their border, or their fill, against what is behind them).
Elements covered by a layer above them (the alert over the lock screen) are
not visible and not measured.
"""

from __future__ import annotations

TEXT_MIN = 4.5
CONTROL_MIN = 3.0

MEASURE = """
([textMin, controlMin]) => {
  const parse = (c) => {
    const m = /rgba?\\(([^)]+)\\)/.exec(c || "");
    if (!m) return null;
    const p = m[1].split(/[ ,\\/]+/).filter(Boolean).map(Number);
    return [p[0], p[1], p[2], p.length > 3 ? p[3] : 1];
  };
  const channel = (v) => { v /= 255; return v <= 0.03928 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4); };
  const lum = (c) => 0.2126 * channel(c[0]) + 0.7152 * channel(c[1]) + 0.0722 * channel(c[2]);
  const ratio = (a, b) => { const x = lum(a), y = lum(b); return (Math.max(x, y) + 0.05) / (Math.min(x, y) + 0.05); };
  const over = (top, under) => [0, 1, 2].map((i) => top[i] * top[3] + under[i] * (1 - top[3])).concat([1]);
  // Every colour that may be behind a node: its own background and its ancestors', down to the first opaque one.
  const behind = (node) => {
    const layers = [];
    for (let n = node; n && n.nodeType === 1; n = n.parentElement) {
      const s = getComputedStyle(n);
      const stripes = (s.backgroundImage.match(/rgba?\\([^)]+\\)/g) || []).map(parse);
      if (stripes.length) { layers.push(stripes); if (stripes.every((c) => c[3] === 1)) break; }
      const fill = parse(s.backgroundColor);
      if (fill && fill[3] > 0) { layers.push([fill]); if (fill[3] === 1) break; }
    }
    let colours = [[255, 255, 255, 1]];
    for (const layer of layers.reverse()) colours = layer.flatMap((c) => colours.map((u) => over(c, u)));
    return colours;
  };
  const worst = (fg, backs) => Math.min(...backs.map((b) => ratio(over(fg, b), b)));
  const seen = (node) => {
    if (!node.getClientRects().length || getComputedStyle(node).visibility === "hidden") return false;
    const r = node.getBoundingClientRect();
    const hit = document.elementFromPoint(Math.min(Math.max(r.left + r.width / 2, 0), innerWidth - 1),
                                          Math.min(Math.max(r.top + r.height / 2, 0), innerHeight - 1));
    return !hit || node.contains(hit) || hit.contains(node) || r.bottom < 0 || r.top > innerHeight;
  };
  const name = (n) => n.tagName.toLowerCase() + (n.id ? "#" + n.id : "") + (n.className && typeof n.className === "string" ? "." + n.className.trim().replace(/\\s+/g, ".") : "");
  const failures = [];
  let measured = 0;
  for (const node of document.body.querySelectorAll("*")) {
    if (["SCRIPT", "STYLE", "IMG"].includes(node.tagName) || !seen(node)) continue;
    const text = [...node.childNodes].filter((c) => c.nodeType === 3).map((c) => c.textContent.trim()).join("");
    const isInput = node.tagName === "INPUT";
    const typed = isInput && !["checkbox", "radio"].includes(node.type) && node.value;  // a box's value is not shown
    if (text || typed) {
      measured++;
      const r = worst(parse(getComputedStyle(node).color), behind(node));
      if (r < textMin) failures.push(`text ${name(node)} "${(text || node.value).slice(0, 40)}" ${r.toFixed(2)}:1`);
    }
    if (node.tagName === "BUTTON" || isInput) {
      measured++;
      const s = getComputedStyle(node), backs = behind(node.parentElement);
      const border = parseFloat(s.borderTopWidth) > 0 ? worst(parse(s.borderTopColor), backs) : 0;
      const fill = parse(s.backgroundColor);
      const filled = fill && fill[3] > 0 ? worst(fill, backs) : 0;
      if (Math.max(border, filled) < controlMin)
        failures.push(`control ${name(node)} "${(node.textContent || node.placeholder || "").trim().slice(0, 30)}" ${Math.max(border, filled).toFixed(2)}:1`);
    }
  }
  return { measured, failures };
}
"""


def contrast_failures(page, themes: tuple[str, ...] = ("day", "night")) -> tuple[int, list[str]]:
    """(elements measured, failures) over ``themes``; the page is left in the last theme."""
    measured, failures = 0, []
    for theme in themes:
        page.evaluate(f"document.documentElement.dataset.theme = '{theme}'")
        result = page.evaluate(MEASURE, [TEXT_MIN, CONTROL_MIN])
        measured += result["measured"]
        failures += [f"{theme}: {line}" for line in result["failures"]]
    return measured, failures
