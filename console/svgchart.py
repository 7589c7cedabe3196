"""Charts drawn on the server with matplotlib (Agg) as accessible, inline-safe SVG.

What the SVG is made to be, after matplotlib has drawn it:

- **Accessible**: ``role="img"``, a ``<title>`` and a ``<desc>`` (escaped), referenced by
  ``aria-labelledby``; every chart has a data table beneath it on the page as well.
- **Safe inline under the console's CSP** (``style-src 'self'``, no inline styles): matplotlib
  writes ``style="fill: ...; stroke: ..."`` on every shape, which the policy would block.
  Those become SVG presentation attributes (``fill="..."``), which no CSP restricts; the
  ``<style>`` block, the metadata, the XML prolog and the doctype go.
- **No scripts**: matplotlib writes none, and ``finish`` refuses output with a ``<script`` or an
  ``on...=`` attribute rather than pass it on. Text is escaped by matplotlib (and the title and
  description here); a ``$`` in a label is not read as mathtext (``label``).
- **Unique ids**: several charts share a page, so every id (and ``url(#...)``) gets a prefix.

**Figures are reused** (``chart``): making a figure and its axes costs matplotlib about 30 ms
(the axes build their tick machinery even though the charts draw their own), a third of a
chart's time. A figure is kept per chart and size once drawn; the next drawing removes what
the last one added (bars, lines, texts, legend) and draws on the same axes. Every chart sets
both of its axes' limits, labels and ticks itself, so a reused figure draws the very SVG a new
one would (tests/console/test_dashboard.py compares them byte for byte).
"""

from __future__ import annotations

import contextlib
import html
import io
import re
import threading
from collections import defaultdict
from collections.abc import Iterator

import matplotlib

matplotlib.use("Agg")
matplotlib.rcParams.update(
    {
        "svg.fonttype": "none",  # text stays text: selectable, readable by assistive tech
        "svg.hashsalt": "console",  # stable ids between runs
        "font.size": 10,
        "axes.spines.top": False,
        "axes.spines.right": False,
    }
)

from matplotlib.collections import PolyCollection  # noqa: E402 - after the backend is chosen
from matplotlib.figure import Figure  # noqa: E402
from matplotlib.ticker import MaxNLocator  # noqa: E402

#: Colours of the levels, as on the rest of the console (console.css), and for "no triage".
LEVEL_COLOURS = {
    "emergency": "#8b0000",
    "urgent": "#c2410c",
    "same_day": "#ca8a04",
    "routine": "#1e3a8a",
    "self_care": "#15803d",
    None: "#90a4ae",
}
INK = "#1f2933"

_STYLE = re.compile(r'style="([^"]*)"')
_ID = re.compile(r'\bid="([^"]+)"')
_URL = re.compile(r"url\(#([^)]+)\)")
_HREF = re.compile(r'href="#([^"]+)"')
_FONT = re.compile(r"^(?:(italic|oblique)\s+)?(?:(bold|normal)\s+)?([\d.]+px)\s+(.+)$")


def label(text: str) -> str:
    """Any text for matplotlib: a ``$`` would start mathtext."""
    return text.replace("$", r"\$")


def figure(width: float = 8.0, height: float = 3.2, left: float = 0.8) -> Figure:
    """A figure with fixed margins (``left`` inches for the labels): matplotlib's automatic
    layouts cost more than the drawing."""
    fig = Figure(figsize=(width, height), dpi=72)
    fig.subplots_adjust(left=left / width, right=0.95, top=0.95, bottom=0.75 / height)
    return fig


def bars(ax, positions, lengths, starts, colour: str, name: str = "", horizontal=False) -> None:
    """Bars as one PolyCollection (one SVG path per bar, but one matplotlib artist: a patch
    per bar made the 30-day chart take half a second)."""
    shapes = []
    for at, length, start in zip(positions, lengths, starts, strict=True):
        if not length:
            continue
        a, b = at - 0.4, at + 0.4
        if horizontal:
            shapes.append([(start, a), (start + length, a), (start + length, b), (start, b)])
        else:
            shapes.append([(a, start), (b, start), (b, start + length), (a, start + length)])
    collection = PolyCollection(shapes, facecolors=colour, edgecolors="none", label=name)
    ax.add_collection(collection)


def _attributes(style: str) -> str:
    parts = []
    for declaration in style.split(";"):
        name, _, value = declaration.partition(":")
        name, value = name.strip(), value.strip()
        if not name:
            continue
        if name == "font":  # shorthand, not a presentation attribute: split it
            found = _FONT.match(value)
            if found:
                italic, weight, size, family = found.groups()
                parts.append(f'font-size="{html.escape(size)}"')
                parts.append(f'font-family="{html.escape(family.replace(chr(39), ""))}"')
                if italic:
                    parts.append(f'font-style="{italic}"')
                if weight:
                    parts.append(f'font-weight="{weight}"')
            continue
        if not re.fullmatch(r"[a-z-]+", name):
            continue
        parts.append(f'{name}="{html.escape(value, quote=True)}"')
    return " ".join(parts)


def finish(fig: Figure, prefix: str, title: str, description: str) -> str:
    """The figure as inline SVG: see the module docstring."""
    buffer = io.StringIO()
    fig.savefig(buffer, format="svg", metadata={"Date": None})
    svg = buffer.getvalue()
    svg = svg[svg.index("<svg") :]
    svg = re.sub(r"<metadata>.*?</metadata>\s*", "", svg, flags=re.S)
    svg = re.sub(r"<style[^>]*>.*?</style>\s*", "", svg, flags=re.S)
    svg = _STYLE.sub(lambda m: _attributes(m.group(1)), svg)
    svg = _ID.sub(lambda m: f'id="{prefix}-{m.group(1)}"', svg)
    svg = _URL.sub(lambda m: f"url(#{prefix}-{m.group(1)})", svg)
    svg = _HREF.sub(lambda m: f'href="#{prefix}-{m.group(1)}"', svg)
    head_end = svg.index(">") + 1
    head = svg[:head_end].replace(
        "<svg ",
        f'<svg role="img" aria-labelledby="{prefix}-title {prefix}-desc" '
        'stroke-linejoin="round" stroke-linecap="butt" ',
        1,
    )
    svg = (
        head
        + f'\n <title id="{prefix}-title">{html.escape(title)}</title>'
        + f'\n <desc id="{prefix}-desc">{html.escape(description)}</desc>'
        + svg[head_end:]
    )
    lowered = svg.lower()
    if "<script" in lowered or re.search(r"\son[a-z]+\s*=", lowered) or "javascript:" in lowered:
        raise ValueError("refusing an SVG with script")
    return svg


#: Figures kept per (chart, size), ready to draw on again; a few per key (several threads
#: may draw the same chart for different date ranges at once).
_POOL: dict[tuple, list[tuple[Figure, object]]] = defaultdict(list)
_POOL_LOCK = threading.Lock()
POOL_PER_KEY = 2


def _reset(ax) -> None:
    """Remove what a chart drew on ``ax`` (everything the chart functions add)."""
    for artist in [*ax.collections, *ax.texts, *ax.lines, *ax.patches, *ax.images]:
        artist.remove()
    if ax.legend_ is not None:
        ax.legend_.remove()
    ax.set_xlabel("")
    ax.set_ylabel("")
    ax.ignore_existing_data_limits = True


@contextlib.contextmanager
def chart(
    name: str, width: float = 8.0, height: float = 3.2, left: float = 0.8
) -> Iterator[tuple[Figure, object]]:
    """A figure and its axes for the chart ``name``: a kept one when there is one, else new.
    It goes back to the pool only if the drawing finished without an error."""
    key = (name, width, height, left)
    with _POOL_LOCK:
        free = _POOL[key]
        item = free.pop() if free else None
    if item is None:
        fig = figure(width, height, left)
        item = (fig, fig.subplots())
    yield item
    _reset(item[1])
    with _POOL_LOCK:
        if len(_POOL[key]) < POOL_PER_KEY:
            _POOL[key].append(item)


def clear_pool() -> None:
    with _POOL_LOCK:
        _POOL.clear()


GRID = "#cfd8dc"


def value_axis(ax, top: float, span: tuple[float, float], horizontal: bool = False) -> None:
    """Gridlines and labels of the value axis, from 0 to about ``top``, drawn as one line
    collection and a few texts: matplotlib's Tick objects cost most of a chart's time."""
    ticks = [float(t) for t in MaxNLocator(5).tick_values(0, max(top, 1.0)) if t >= 0]
    limit = max(max(ticks), top)
    xt, yt = ax.get_xaxis_transform(), ax.get_yaxis_transform()
    if horizontal:
        ax.set_xlim(0, limit)
        ax.vlines(ticks, *span, colors=GRID, linewidth=0.6, zorder=0)
        for t in ticks:
            ax.text(t, -0.03, f"{t:g}", transform=xt, ha="center", va="top", color=INK)
    else:
        ax.set_ylim(0, limit)
        ax.hlines(ticks, *span, colors=GRID, linewidth=0.6, zorder=0)
        for t in ticks:
            ax.text(-0.01, t, f"{t:g}", transform=yt, ha="right", va="center", color=INK)


def category_axis(ax, labels: list[tuple[float, str]], count: int, horizontal=False) -> None:
    """The bars' axis: ``count`` slots, some of them labelled (labels are escaped text)."""
    ax.set_xticks([])
    ax.set_yticks([])
    xt, yt = ax.get_xaxis_transform(), ax.get_yaxis_transform()
    if horizontal:
        ax.set_ylim(count - 0.4, -0.6)
        for at, text in labels:
            ax.text(-0.01, at, label(text), transform=yt, ha="right", va="center", color=INK)
    else:
        ax.set_xlim(-0.6, count - 0.4)
        for at, text in labels:
            ax.text(at, -0.03, label(text), transform=xt, ha="center", va="top", color=INK)
