"""The service dashboard (issue 12, item 5): how the service is doing over a date range.

Everything is counted in SQL over the queue summary and the console's own tables, never by
reading events in Python: ``console_conversations`` (one row per conversation, with its level,
first message, how far the triage got), ``console_conversation_concerns`` and ``_symptoms``,
``console_followups`` (due times), ``console_audit`` (first review) and ``console_flags``.
A conversation belongs to the day of its first message, in the console's time zone.

Days: the SQL groups conversations by hour of their first message (by 15 minutes when the
time zone has an offset of a half or a quarter hour in the range: every offset is a multiple
of 15 minutes), and Python gives each of those few hundred buckets its local day. That is the same on SQLite (which has no time zones) and PostgreSQL,
and exact across clock changes.

Results are cached per (database, date range) for ``CACHE_SECONDS``: the figures of a busy
day move by a few conversations a minute, and a nurse flipping between ranges does not
recompute them.
"""

from __future__ import annotations

import threading
import time
from collections import Counter, defaultdict
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from datetime import time as dtime
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from markupsafe import Markup
from sqlalchemy.engine import Engine

from console import svgchart
from console.events import LEVEL_LABELS, LEVELS, level_label
from console.followup import OPEN_STATES
from console.queue import FIRST_DAY, LAST_DAY, left_expr
from console.tables import (
    audit,
    conversation_concerns,
    conversation_symptoms,
    conversations,
    flags,
    followups,
)
from console.web import code_label

DEFAULT_DAYS = 30
MAX_DAYS = 366
HOUR, QUARTER = 3600, 900  # bucket sizes, seconds
CACHE_SECONDS = 60
TOP = 10
#: What counts as a review: a person marked it reviewed, changed its follow-up or recorded
#: contact (the audit log keeps every one; ``console_reviews`` keeps only the latest).
REVIEW_ACTIONS = ("mark_reviewed", "followup_state", "followup_assign", "patient_contacted")
LEVEL_KEYS: tuple[str | None, ...] = (*reversed(LEVELS), None)


class RangeError(ValueError):
    """A date range the dashboard cannot show (message safe to show)."""


@dataclass(frozen=True)
class DateRange:
    start: date
    end: date  # inclusive

    @property
    def days(self) -> list[date]:
        return [self.start + timedelta(days=i) for i in range((self.end - self.start).days + 1)]

    def bounds(self, tz: ZoneInfo) -> tuple[float, float]:
        first = datetime.combine(self.start, dtime.min, tzinfo=tz).timestamp()
        last = datetime.combine(self.end + timedelta(days=1), dtime.min, tzinfo=tz).timestamp()
        return first, last


def parse_range(params, tz: ZoneInfo, today: date | None = None) -> DateRange:
    """``from`` and ``to`` (YYYY-MM-DD, inclusive); by default the last 30 days."""
    today = today or datetime.now(tz).date()

    def read(name: str) -> date | None:
        value = str(params.get(name, "")).strip()
        if not value:
            return None
        try:
            day = date.fromisoformat(value)
        except ValueError:
            raise RangeError(f"{name} must be a date (YYYY-MM-DD)") from None
        return min(max(day, FIRST_DAY), LAST_DAY)

    end = read("to") or today
    start = read("from") or end - timedelta(days=DEFAULT_DAYS - 1)
    if start > end:
        raise RangeError("the range ends before it starts")
    if (end - start).days + 1 > MAX_DAYS:
        raise RangeError(f"the range is limited to {MAX_DAYS} days")
    return DateRange(start, end)


@dataclass(frozen=True)
class ReviewRow:
    level: str | None
    conversations: int
    with_due: int  # those with a due time
    reviewed: int
    within_due: int
    late: int  # reviewed after the due time
    overdue_open: int  # not reviewed, due time passed, follow-up still open
    average_minutes: float | None  # first message at the level -> first review


@dataclass
class Dashboard:
    range: DateRange
    per_day: dict[date, dict[str | None, int]]
    started: dict[date, int]  # conversations in which the triage started
    left: dict[date, int]  # ... and were left before the end
    review: list[ReviewRow]
    symptoms: list[tuple[str, int]]
    concerns: list[tuple[str, int]]
    misunderstood: list[tuple[str, int]]  # the intent the bot understood, times flagged
    corrections: list[tuple[str, str, int]]  # (understood, meant, times)
    computed_at: float
    seconds: float = 0.0
    charts: dict[str, Markup] = field(default_factory=dict)

    @property
    def total(self) -> int:
        return sum(sum(levels.values()) for levels in self.per_day.values())

    @property
    def total_started(self) -> int:
        return sum(self.started.values())

    @property
    def total_left(self) -> int:
        return sum(self.left.values())

    def level_total(self, level: str | None) -> int:
        return sum(levels.get(level, 0) for levels in self.per_day.values())


def bucket_seconds(rng: DateRange, tz: ZoneInfo) -> int:
    """An hour, unless one of the zone's offsets in the range is not a whole hour."""
    days = [*rng.days, rng.end + timedelta(days=1)]
    for day in days:
        for hour in (0, 12):
            offset = tz.utcoffset(datetime.combine(day, dtime(hour)))
            if offset is not None and offset.total_seconds() % HOUR:
                return QUARTER
    return HOUR


def _bucket(engine: Engine, column, size: int):
    if engine.dialect.name == "postgresql":
        return sa.cast(sa.func.floor(column / size), sa.BigInteger)
    return sa.cast(column / size, sa.Integer)  # SQLite truncates; times are positive


def compute(
    engine: Engine,
    rng: DateRange,
    tz: ZoneInfo,
    left_after: float,
    now: float | None = None,
    charts: bool = False,
) -> Dashboard:
    """The figures; with ``charts``, the charts too, each drawn as soon as its query is back
    while the database works on the others (the drawing is Python, the queries mostly the
    database's own work, so the two overlap: about a third off a first look at a range)."""
    started_at = time.perf_counter()
    now = time.time() if now is None else now
    first, last = rng.bounds(tz)
    c = conversations
    in_range = sa.and_(c.c.first_at >= first, c.c.first_at < last)
    size = bucket_seconds(rng, tz)
    bucket = _bucket(engine, c.c.first_at, size).label("bucket")
    per_bucket = (
        sa.select(
            bucket,
            c.c.level,
            sa.func.count().label("n"),
            sa.func.sum(sa.case((c.c.triage_state.isnot(None), 1), else_=0)).label("started"),
            sa.func.sum(sa.case((left_expr(now - left_after), 1), else_=0)).label("left"),
        )
        .where(in_range)
        .group_by(bucket, c.c.level)
    )
    first_review = (
        sa.select(audit.c.sender_id, sa.func.min(audit.c.at).label("at"))
        .where(audit.c.action.in_(REVIEW_ACTIONS), audit.c.user_id.isnot(None), audit.c.at >= first)
        .group_by(audit.c.sender_id)
        .subquery()
    )
    since = sa.func.coalesce(c.c.level_at, c.c.first_at)
    has_due = followups.c.due_at.isnot(None)
    reviewed = first_review.c.at.isnot(None)
    review = (
        sa.select(
            c.c.level,
            sa.func.count().label("n"),
            sa.func.sum(sa.case((has_due, 1), else_=0)).label("with_due"),
            sa.func.sum(sa.case((reviewed, 1), else_=0)).label("reviewed"),
            sa.func.sum(
                sa.case(
                    (sa.and_(reviewed, has_due, first_review.c.at <= followups.c.due_at), 1),
                    else_=0,
                )
            ).label("within"),
            sa.func.sum(
                sa.case(
                    (sa.and_(reviewed, has_due, first_review.c.at > followups.c.due_at), 1), else_=0
                )
            ).label("late"),
            sa.func.sum(
                sa.case(
                    (
                        sa.and_(
                            sa.not_(reviewed),
                            has_due,
                            followups.c.due_at < now,
                            sa.func.coalesce(followups.c.state, "new").in_(OPEN_STATES),
                        ),
                        1,
                    ),
                    else_=0,
                )
            ).label("overdue"),
            sa.func.avg(sa.case((reviewed, first_review.c.at - since), else_=None)).label("avg"),
        )
        .select_from(
            c.outerjoin(followups, followups.c.sender_id == c.c.sender_id).outerjoin(
                first_review, first_review.c.sender_id == c.c.sender_id
            )
        )
        .where(in_range)
        .group_by(c.c.level)
    )

    def top(table, column):
        count = sa.func.count().label("n")
        return (
            sa.select(column, count)
            .select_from(table.join(c, c.c.sender_id == table.c.sender_id))
            .where(in_range)
            .group_by(column)
            .order_by(count.desc(), column)
            .limit(TOP)
        )

    nlu = sa.and_(flags.c.kind == "nlu", in_range)
    understood = sa.func.coalesce(flags.c.bot_value, "(none)")
    flagged = sa.func.count().label("n")
    misunderstood = (
        sa.select(understood.label("intent"), flagged)
        .select_from(flags.join(c, c.c.sender_id == flags.c.sender_id))
        .where(nlu)
        .group_by(understood)
        .order_by(flagged.desc(), understood)
        .limit(TOP)
    )
    corrections = (
        sa.select(understood.label("intent"), flags.c.correct_value, flagged)
        .select_from(flags.join(c, c.c.sender_id == flags.c.sender_id))
        .where(nlu)
        .group_by(understood, flags.c.correct_value)
        .order_by(flagged.desc(), understood, flags.c.correct_value)
        .limit(TOP * 2)
    )

    def run(query) -> list:
        with engine.connect() as conn:
            return list(conn.execute(query).all())

    board = Dashboard(
        range=rng,
        per_day={day: {} for day in rng.days},
        started={},
        left={},
        review=[],
        symptoms=[],
        concerns=[],
        misunderstood=[],
        corrections=[],
        computed_at=now,
    )
    # the database works on the queries side by side (its own processes, or SQLite's C code
    # without the GIL) while this thread counts and draws what is back; the fastest first
    with ThreadPoolExecutor(max_workers=3) as pool:
        pending = {
            name: pool.submit(run, query)
            for name, query in (
                ("buckets", per_bucket),
                ("review", review),
                ("symptoms", top(conversation_symptoms, conversation_symptoms.c.symptom)),
                ("concerns", top(conversation_concerns, conversation_concerns.c.concern)),
                ("flagged", misunderstood),
                ("corrected", corrections),
            )
        }
        _count_days(board, pending["buckets"].result(), size, tz)
        if charts:
            _draw(board, "per_day", "left")
        board.review = _review_rows(pending["review"].result())
        if charts:
            _draw(board, "review")
        board.symptoms = [(r[0], r.n) for r in pending["symptoms"].result()]
        board.concerns = [(r[0], r.n) for r in pending["concerns"].result()]
        board.misunderstood = [(r.intent, r.n) for r in pending["flagged"].result()]
        board.corrections = [
            (r.intent, r.correct_value, r.n) for r in pending["corrected"].result()
        ]
    if charts:
        _draw(board, "symptoms", "concerns", "misunderstood")
    board.seconds = time.perf_counter() - started_at
    return board


def _count_days(board: Dashboard, buckets: list, size: int, tz: ZoneInfo) -> None:
    """Each bucket's local day; the counts per day and level, started and left."""
    started: Counter[date] = Counter()
    left: Counter[date] = Counter()
    day_of: dict[int, date] = {}
    for r in buckets:
        day = day_of.get(r.bucket)
        if day is None:
            day = day_of[r.bucket] = datetime.fromtimestamp(r.bucket * size, tz).date()
        levels = board.per_day.setdefault(day, {})
        level = r.level if r.level in LEVEL_LABELS else None
        levels[level] = levels.get(level, 0) + r.n
        started[day] += int(r.started or 0)
        left[day] += int(r.left or 0)
    board.started = dict(started)
    board.left = dict(left)


def _review_rows(rows: list) -> list[ReviewRow]:
    by_level = {r.level if r.level in LEVEL_LABELS else None: r for r in rows}
    out = []
    for level in LEVEL_KEYS:
        r = by_level.get(level)
        if r is None:
            continue
        out.append(
            ReviewRow(
                level,
                r.n,
                int(r.with_due or 0),
                int(r.reviewed or 0),
                int(r.within or 0),
                int(r.late or 0),
                int(r.overdue or 0),
                float(r.avg) / 60 if r.avg is not None else None,
            )
        )
    return out


# --- charts ---------------------------------------------------------------------------------


def _day_labels(days: list[date]) -> list[tuple[float, str]]:
    step = max(1, -(-len(days) // 10))
    return [(i, days[i].strftime("%d %b")) for i in range(0, len(days), step)]


def chart_per_day(d: Dashboard) -> str:
    with svgchart.chart("per-day") as (fig, ax):
        return _per_day(d, fig, ax)


def _per_day(d: Dashboard, fig, ax) -> str:
    days = d.range.days
    svgchart.category_axis(ax, _day_labels(days), len(days))
    bottom = [0] * len(days)
    for level in LEVEL_KEYS:
        values = [d.per_day.get(day, {}).get(level, 0) for day in days]
        if not any(values):
            continue
        svgchart.bars(
            ax,
            range(len(days)),
            values,
            bottom,
            svgchart.LEVEL_COLOURS[level],
            svgchart.label(level_label(level)),
        )
        bottom = [b + v for b, v in zip(bottom, values, strict=True)]
    busiest = max(bottom, default=0)
    svgchart.value_axis(ax, busiest * 1.3, (-0.6, len(days) - 0.4))
    ax.set_ylabel("Conversations", labelpad=30)
    if busiest:
        ax.legend(loc="upper left", fontsize=9, frameon=False, ncol=6)
    desc = (
        f"Stacked bars, one per day from {d.range.start:%d %B %Y} to {d.range.end:%d %B %Y}: "
        f"{d.total} conversations in all"
        + "".join(
            f", {level_label(lv)} {d.level_total(lv)}" for lv in LEVEL_KEYS if d.level_total(lv)
        )
        + f"; the busiest day had {busiest}. The table below gives every day."
    )
    return svgchart.finish(fig, "chart-per-day", "Conversations per day by triage level", desc)


def chart_left(d: Dashboard) -> str:
    with svgchart.chart("left", height=2.6) as (fig, ax):
        return _left(d, fig, ax)


def _left(d: Dashboard, fig, ax) -> str:
    days = d.range.days
    svgchart.category_axis(ax, _day_labels(days), len(days))
    shares = [
        100 * d.left.get(day, 0) / d.started[day] if d.started.get(day) else 0.0 for day in days
    ]
    svgchart.bars(ax, range(len(days)), shares, [0] * len(days), "#7a3e00")
    svgchart.value_axis(ax, max(10.0, max(shares, default=0) * 1.15), (-0.6, len(days) - 0.4))
    ax.set_ylabel("% left before advice", labelpad=24)
    overall = 100 * d.total_left / d.total_started if d.total_started else 0.0
    desc = (
        f"Bars, one per day: the share of conversations in which the triage started that were "
        f"left before the end. Over the range {d.total_left} of {d.total_started} "
        f"({overall:.0f}%). The table below gives every day."
    )
    return svgchart.finish(fig, "chart-left", "Share of patients who left before advice", desc)


def chart_review(d: Dashboard) -> str:
    rows = [r for r in d.review if r.with_due]
    height = max(1.6, 0.4 * len(rows) + 1.0)
    with svgchart.chart("review", height=height, left=1.2) as (fig, ax):
        return _review(rows, fig, ax)


def _review(rows: list[ReviewRow], fig, ax) -> str:
    svgchart.category_axis(
        ax, [(i, level_label(r.level)) for i, r in enumerate(rows)], len(rows), horizontal=True
    )
    parts = (
        ("Reviewed in time", "within_due", "#15803d"),
        ("Reviewed late", "late", "#c2410c"),
        ("Not reviewed, overdue", "overdue_open", "#8b0000"),
    )
    left = [0] * len(rows)
    for title, attr, colour in parts:
        values = [getattr(r, attr) for r in rows]
        svgchart.bars(ax, range(len(rows)), values, left, colour, title, horizontal=True)
        left = [a + b for a, b in zip(left, values, strict=True)]
    svgchart.value_axis(ax, max(left, default=0) * 1.4, (len(rows) - 0.4, -0.6), horizontal=True)
    ax.set_xlabel("Conversations", labelpad=18)
    if any(left):
        ax.legend(loc="lower right", fontsize=9, frameon=False)
    desc = "Horizontal stacked bars, one per level with a due time: " + (
        "; ".join(
            f"{level_label(r.level)}: {r.within_due} reviewed in time, {r.late} late, "
            f"{r.overdue_open} not reviewed and overdue"
            for r in rows
        )
        or "no conversation with a due time in this range"
    )
    return svgchart.finish(fig, "chart-review", "First review against the due time", desc)


def chart_counts(prefix: str, title: str, items: list[tuple[str, int]], colour: str) -> str:
    height = max(1.6, 0.32 * len(items) + 0.9)
    with svgchart.chart(prefix, width=5.2, height=height, left=2.0) as (fig, ax):
        return _counts(prefix, title, items, colour, fig, ax)


def _counts(prefix: str, title: str, items: list[tuple[str, int]], colour: str, fig, ax) -> str:
    svgchart.category_axis(
        ax,
        [(i, code_label(name)[:28]) for i, (name, _) in enumerate(items)],
        len(items),
        horizontal=True,
    )
    counts = [n for _, n in items]
    svgchart.bars(ax, range(len(items)), counts, [0] * len(items), colour, horizontal=True)
    svgchart.value_axis(ax, max(counts, default=0) * 1.1, (len(items) - 0.4, -0.6), horizontal=True)
    ax.set_xlabel(
        "Conversations" if prefix != "chart-misunderstood" else "Messages flagged", labelpad=18
    )
    desc = (
        "Horizontal bars, most common first: "
        + "; ".join(f"{code_label(name)} {n}" for name, n in items)
        if items
        else "None in this range."
    )
    return svgchart.finish(fig, prefix, title, desc)


#: Each chart: how it is drawn from the figures.
CHARTS = {
    "per_day": chart_per_day,
    "left": chart_left,
    "review": chart_review,
    "symptoms": lambda d: chart_counts(
        "chart-symptoms", "Most common symptoms", d.symptoms, "#1e3a8a"
    ),
    "concerns": lambda d: chart_counts(
        "chart-concerns", "Most common concerns", d.concerns, "#0f766e"
    ),
    "misunderstood": lambda d: chart_counts(
        "chart-misunderstood",
        "Intents most often marked misunderstood",
        d.misunderstood,
        "#7c2d12",
    ),
}


def _draw(d: Dashboard, *names: str) -> None:
    """The charts ``names``, as Markup: generated SVG whose every text is escaped
    (console/svgchart.py), so the template may insert it; nothing else on the page is marked
    safe."""
    for name in names:
        d.charts[name] = Markup(CHARTS[name](d))


def draw(d: Dashboard) -> Dashboard:
    """Every chart of ``d`` (``compute(..., charts=True)`` draws them as it goes)."""
    _draw(d, *CHARTS)
    return d


_PREWARM_LOCK = threading.Lock()
_prewarmed = False


def prewarm() -> None:
    """Draw made-up figures once, off the request path, when the console starts: matplotlib's
    first drawing in a process loads its fonts and text machinery (about 0.3 s), and the
    figures of the usual sizes are then in the pool (console/svgchart.py), so the first nurse
    to open the dashboard does not wait for either. Nothing is stored or shown. Once per
    process: a second app in the same process (the tests) finds it done."""
    global _prewarmed
    with _PREWARM_LOCK:
        if not _prewarmed:
            _draw_made_up()
            _prewarmed = True


def _draw_made_up() -> None:
    today = date.today()
    rng = DateRange(today - timedelta(days=DEFAULT_DAYS - 1), today)
    items = [(f"item_{i}", TOP - i) for i in range(TOP)]
    draw(
        Dashboard(
            range=rng,
            per_day={day: {"urgent": 1, None: 1} for day in rng.days},
            started=dict.fromkeys(rng.days, 2),
            left=dict.fromkeys(rng.days, 1),
            review=[ReviewRow(level, 2, 2, 2, 1, 1, 0, 10.0) for level in LEVELS],
            symptoms=items,
            concerns=items,
            misunderstood=items,
            corrections=[],
            computed_at=time.time(),
        )
    )


class Cache:
    """Dashboards per (database, range), kept ``ttl`` seconds; one computation at a time per
    key, so ten nurses opening the page together cost one. After ``ttl`` a page is still
    served from the old figures (up to ``stale`` seconds old) while a background thread
    recomputes them: only the first look at a range waits for the drawing."""

    def __init__(self, ttl: float = CACHE_SECONDS, stale: float = 5 * CACHE_SECONDS) -> None:
        self.ttl = ttl
        self.stale = stale
        self._items: dict[tuple, tuple[float, Dashboard]] = {}
        self._locks: dict[tuple, threading.Lock] = defaultdict(threading.Lock)
        self._refreshing: set[tuple] = set()
        self._guard = threading.Lock()

    def _compute(self, key: tuple, engine: Engine, rng: DateRange, tz: ZoneInfo, left_after):
        board = compute(engine, rng, tz, left_after, charts=True)
        with self._guard:
            now = time.monotonic()
            self._items = {k: v for k, v in self._items.items() if now - v[0] < self.stale}
            self._items[key] = (now, board)
            self._refreshing.discard(key)
        return board

    def _refresh_later(self, key: tuple, *args) -> None:
        with self._guard:
            if key in self._refreshing:
                return
            self._refreshing.add(key)

        def work() -> None:
            try:
                with self._locks[key]:
                    self._compute(key, *args)
            except Exception:  # noqa: BLE001 - the next page load computes it in the open
                with self._guard:
                    self._refreshing.discard(key)

        threading.Thread(target=work, name="dashboard-refresh", daemon=True).start()

    def get(self, engine: Engine, rng: DateRange, tz: ZoneInfo, left_after: float) -> Dashboard:
        key = (str(engine.url), rng, str(tz), left_after)
        with self._guard:
            lock = self._locks[key]
            hit = self._items.get(key)
        if hit:
            age = time.monotonic() - hit[0]
            if age < self.ttl:
                return hit[1]
            if age < self.stale:
                self._refresh_later(key, engine, rng, tz, left_after)
                return hit[1]
        with lock:
            with self._guard:
                hit = self._items.get(key)
            if hit and time.monotonic() - hit[0] < self.ttl:
                return hit[1]
            return self._compute(key, engine, rng, tz, left_after)

    def clear(self) -> None:
        with self._guard:
            self._items.clear()
