"""The dashboard's figures: pure functions from plain rows to tables and charts.

No I/O: reports.service reads the rows, these count them. Days are the team's local
dates; a week starts on Monday. Every figure has a table (what the CSV holds, and what
the page shows under the chart) and, where a picture helps, a bar chart.
"""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from enum import StrEnum

Cell = str | int | float | date | None

SEEN = "completed"
NOT_DELIVERED = ("failed", "not_sent", "uncertain", "expired")
STATUS_ORDER = (
    "booked",
    "rescheduled",
    "waiting",
    "in_call",
    "completed",
    "cancelled",
    "no_show",
)
STATUS_LABELS = {
    "booked": "Booked",
    "rescheduled": "Rescheduled",
    "waiting": "Waiting",
    "in_call": "In call",
    "completed": "Completed",
    "cancelled": "Cancelled",
    "no_show": "No-show",
}
ROUTE_LABELS = {"video": "Video", "attend": "Officer attends", "station": "Station visit"}
TEXT_STATUS_LABELS = {
    "failed": "Failed",
    "not_sent": "Not sent (no safe way)",
    "uncertain": "Uncertain",
    "expired": "Expired",
}
BANDS = ("P1", "P2", "P3")


class Period(StrEnum):
    DAY = "day"
    WEEK = "week"


@dataclass(frozen=True)
class Span:
    """The dashboard's dates, first and last both included, in the team's time zone."""

    first: date
    last: date

    def days(self) -> list[date]:
        return [self.first + timedelta(days=n) for n in range((self.last - self.first).days + 1)]

    def periods(self, period: Period) -> list[date]:
        """The start of each day, or each Monday, that the span touches."""
        if period is Period.DAY:
            return self.days()
        return sorted({period_start(day, period) for day in self.days()})


def period_start(day: date, period: Period) -> date:
    return day if period is Period.DAY else day - timedelta(days=day.weekday())


@dataclass(frozen=True)
class AppointmentRow:
    day: date
    incident_type: str
    status: str
    band: str
    called_at: datetime
    starts_at: datetime
    deadline: datetime
    officer_id: int | None
    minutes: float
    follow_up: bool


@dataclass(frozen=True)
class InPersonRow:
    day: date
    route: str


@dataclass(frozen=True)
class ShiftRow:
    officer_id: int
    officer: str
    minutes: float


@dataclass(frozen=True)
class FeedbackRow:
    day: date
    rating: int


@dataclass(frozen=True)
class TextRow:
    day: date
    status: str


@dataclass(frozen=True)
class BarChart:
    """Bars per category; several series either stacked or side by side."""

    categories: list[str]
    series: list[tuple[str, list[float]]]
    unit: str
    stacked: bool = True
    horizontal: bool = False
    colours: dict[str, str] = field(default_factory=dict)
    maximum: float | None = None  # fixed scale, e.g. 100 for percentages


@dataclass(frozen=True)
class Figure:
    key: str
    title: str
    summary: str
    columns: list[str]
    rows: list[list[Cell]]
    chart: BarChart | None


def percentile(values: Sequence[float], q: float) -> float | None:
    """The q-th percentile (0 to 100), interpolating between the two nearest values.

    The same as numpy's default ("linear") and spreadsheets' PERCENTILE.INC.
    """
    if not values:
        return None
    if not 0 <= q <= 100:
        raise ValueError("a percentile is between 0 and 100")
    ordered = sorted(values)
    position = (len(ordered) - 1) * q / 100
    below, above = math.floor(position), math.ceil(position)
    fraction = position - below
    return ordered[below] + (ordered[above] - ordered[below]) * fraction


def share(part: int, whole: int) -> float | None:
    """Part of the whole as a percentage, one decimal; None when there is no whole."""
    return round(100 * part / whole, 1) if whole else None


def _hours(span: timedelta) -> float:
    return span.total_seconds() / 3600


def _one_decimal(value: float | None) -> float | None:
    return None if value is None else round(value, 1)


def _period_label(start: date, period: Period) -> str:
    return f"{start.day} {start:%b}" if period is Period.DAY else f"w/c {start.day} {start:%b}"


def _counts_by(
    key: str,
    title: str,
    what: str,
    span: Span,
    period: Period,
    items: Iterable[tuple[date, str]],
    order: Sequence[str],
    labels: dict[str, str],
    colours: dict[str, str] | None = None,
) -> Figure:
    """A count per period and category: a stacked bar per period, and its table."""
    starts = span.periods(period)
    counts: dict[date, Counter[str]] = {start: Counter() for start in starts}
    for day, category in items:
        start = period_start(day, period)
        if start in counts:
            counts[start][category] += 1
    seen = {c for counter in counts.values() for c in counter}
    categories = [c for c in order if c in seen] + sorted(seen - set(order))
    names = [labels.get(c, c) for c in categories]
    total = sum(sum(counter.values()) for counter in counts.values())
    rows: list[list[Cell]] = [
        [start, *(counts[start][c] for c in categories), sum(counts[start].values())]
        for start in starts
    ]
    biggest = max(categories, key=lambda c: sum(k[c] for k in counts.values()), default=None)
    summary = f"{total} {what} from {_long(span.first)} to {_long(span.last)}."
    if biggest is not None and total:
        summary += f" Most were {labels.get(biggest, biggest).lower()}."
    return Figure(
        key=key,
        title=title,
        summary=summary,
        columns=["Day" if period is Period.DAY else "Week beginning", *names, "Total"],
        rows=rows,
        chart=BarChart(
            categories=[_period_label(start, period) for start in starts],
            series=[
                (name, [float(counts[s][c]) for s in starts])
                for c, name in zip(categories, names, strict=True)
            ],
            unit=what,
            colours=colours or {},
        ),
    )


def _long(day: date) -> str:
    return f"{day.day} {day:%B %Y}"


def appointments_by_type(
    rows: Sequence[AppointmentRow], span: Span, period: Period, type_order: Sequence[str]
) -> Figure:
    return _counts_by(
        "appointments-by-type",
        "Appointments by incident type",
        "appointments",
        span,
        period,
        ((row.day, row.incident_type) for row in rows),
        type_order,
        {},
    )


def appointments_by_outcome(rows: Sequence[AppointmentRow], span: Span, period: Period) -> Figure:
    return _counts_by(
        "appointments-by-outcome",
        "Appointments by outcome",
        "appointments",
        span,
        period,
        ((row.day, row.status) for row in rows),
        STATUS_ORDER,
        STATUS_LABELS,
        STATUS_COLOURS,
    )


def responses_by_route(
    appointments: Sequence[AppointmentRow],
    in_person: Sequence[InPersonRow],
    span: Span,
    period: Period,
) -> Figure:
    """Video appointments beside the cases that chose an officer's visit or the station."""
    items = [(row.day, "video") for row in appointments] + [(r.day, r.route) for r in in_person]
    return _counts_by(
        "appointments-by-route",
        "Appointments by response route",
        "responses",
        span,
        period,
        items,
        tuple(ROUTE_LABELS),
        ROUTE_LABELS,
    )


def _seen_first(rows: Sequence[AppointmentRow]) -> list[AppointmentRow]:
    """Appointments at which a case was seen, follow-ups left out (they are not waits)."""
    return [row for row in rows if row.status == SEEN and not row.follow_up]


def time_to_appointment(rows: Sequence[AppointmentRow]) -> Figure:
    """Hours from the call to the appointment at which the case was seen, per band."""
    hours: dict[str, list[float]] = defaultdict(list)
    for row in _seen_first(rows):
        hours[row.band].append(_hours(row.starts_at - row.called_at))
    bands = [b for b in BANDS if b in hours] + sorted(set(hours) - set(BANDS))
    medians = [_one_decimal(percentile(hours[b], 50)) for b in bands]
    p90s = [_one_decimal(percentile(hours[b], 90)) for b in bands]
    table: list[list[Cell]] = [
        [band, len(hours[band]), median, p90]
        for band, median, p90 in zip(bands, medians, p90s, strict=True)
    ]
    if bands:
        summary = "; ".join(
            f"{band}: median {median} hours" for band, median in zip(bands, medians, strict=True)
        )
        summary = f"From the call to the appointment at which the case was seen. {summary}."
    else:
        summary = "No case was seen in these dates."
    return Figure(
        key="time-to-appointment",
        title="Time from call to appointment",
        summary=summary,
        columns=["Priority band", "Cases seen", "Median (hours)", "90th percentile (hours)"],
        rows=table,
        chart=BarChart(
            categories=bands,
            series=[
                ("Median", [m or 0.0 for m in medians]),
                ("90th percentile", [p or 0.0 for p in p90s]),
            ],
            unit="hours",
            stacked=False,
            horizontal=True,
            colours={"Median": "#1d70b8", "90th percentile": "#6f72af"},
        ),
    )


def seen_within_deadline(rows: Sequence[AppointmentRow]) -> Figure:
    """Of the cases seen, the share whose appointment started by the band's deadline."""
    seen: Counter[str] = Counter()
    in_time: Counter[str] = Counter()
    for row in _seen_first(rows):
        seen[row.band] += 1
        in_time[row.band] += row.starts_at <= row.deadline
    bands = [b for b in BANDS if b in seen] + sorted(set(seen) - set(BANDS))
    shares = [share(in_time[b], seen[b]) for b in bands]
    total = share(sum(in_time.values()), sum(seen.values()))
    return Figure(
        key="seen-within-deadline",
        title="Cases seen within their deadline",
        summary=(
            f"{total}% of the cases seen were seen by their deadline."
            if total is not None
            else "No case was seen in these dates."
        ),
        columns=["Priority band", "Cases seen", "Seen by the deadline", "Share (%)"],
        rows=[
            [band, seen[band], in_time[band], pct] for band, pct in zip(bands, shares, strict=True)
        ],
        chart=BarChart(
            categories=bands,
            series=[("Seen by the deadline", [s or 0.0 for s in shares])],
            unit="%",
            horizontal=True,
            colours={"Seen by the deadline": "#00703c"},
            maximum=100.0,
        ),
    )


def no_show_rate(rows: Sequence[AppointmentRow], span: Span, period: Period) -> Figure:
    """No-shows as a share of the appointments that were due to happen and did or did not."""
    starts = span.periods(period)
    completed: Counter[date] = Counter()
    missed: Counter[date] = Counter()
    for row in rows:
        start = period_start(row.day, period)
        if row.status == SEEN:
            completed[start] += 1
        elif row.status == "no_show":
            missed[start] += 1
    rates = [share(missed[s], missed[s] + completed[s]) for s in starts]
    overall = share(sum(missed.values()), sum(missed.values()) + sum(completed.values()))
    return Figure(
        key="no-shows",
        title="No-show rate",
        summary=(
            f"{overall}% of appointments were no-shows ({sum(missed.values())} of "
            f"{sum(missed.values()) + sum(completed.values())} completed or missed)."
            if overall is not None
            else "No appointment was completed or missed in these dates."
        ),
        columns=[
            "Day" if period is Period.DAY else "Week beginning",
            "Completed",
            "No-shows",
            "No-show rate (%)",
        ],
        rows=[[s, completed[s], missed[s], rate] for s, rate in zip(starts, rates, strict=True)],
        chart=BarChart(
            categories=[_period_label(s, period) for s in starts],
            series=[("No-show rate", [r or 0.0 for r in rates])],
            unit="%",
            colours={"No-show rate": "#d4351c"},
        ),
    )


def feedback_scores(rows: Sequence[FeedbackRow]) -> Figure:
    counts = Counter(row.rating for row in rows)
    mean = round(sum(row.rating for row in rows) / len(rows), 2) if rows else None
    return Figure(
        key="feedback",
        title="Feedback from callers",
        summary=(
            f"{len(rows)} callers rated the service; the average is {mean} out of 5."
            if mean is not None
            else "No caller left feedback in these dates."
        ),
        columns=["Rating", "Callers", "Share (%)"],
        rows=[[r, counts[r], share(counts[r], len(rows))] for r in range(5, 0, -1)],
        chart=BarChart(
            categories=[f"{r} out of 5" for r in range(5, 0, -1)],
            series=[("Callers", [float(counts[r]) for r in range(5, 0, -1)])],
            unit="callers",
            horizontal=True,
            colours={"Callers": "#1d70b8"},
        ),
    )


def officer_utilisation(
    appointments: Sequence[AppointmentRow], shifts: Sequence[ShiftRow]
) -> Figure:
    """Minutes booked over minutes on shift, per officer (cancelled appointments left out)."""
    names: dict[int, str] = {}
    on_shift: defaultdict[int, float] = defaultdict(float)
    for shift in shifts:
        names[shift.officer_id] = shift.officer
        on_shift[shift.officer_id] += shift.minutes
    booked: defaultdict[int, float] = defaultdict(float)
    for row in appointments:
        if row.officer_id is not None and row.status != "cancelled":
            booked[row.officer_id] += row.minutes
    officers = sorted(set(on_shift) | {o for o in booked if o in names}, key=lambda o: names[o])
    rates = [share_of_minutes(booked[o], on_shift[o]) for o in officers]
    total = share_of_minutes(sum(booked[o] for o in officers), sum(on_shift.values()))
    return Figure(
        key="officer-utilisation",
        title="Officer utilisation",
        summary=(
            f"Officers spent {total}% of their shift time in booked appointments."
            if total is not None
            else "No officer was on shift in these dates."
        ),
        columns=["Officer", "Hours on shift", "Hours booked", "Utilisation (%)"],
        rows=[
            [names[o], round(on_shift[o] / 60, 1), round(booked[o] / 60, 1), rate]
            for o, rate in zip(officers, rates, strict=True)
        ],
        chart=BarChart(
            categories=[names[o] for o in officers],
            series=[("Utilisation", [r or 0.0 for r in rates])],
            unit="%",
            horizontal=True,
            colours={"Utilisation": "#28a197"},
            maximum=100.0,
        ),
    )


def share_of_minutes(part: float, whole: float) -> float | None:
    return round(100 * part / whole, 1) if whole > 0 else None


def texts_not_delivered(rows: Sequence[TextRow], span: Span, period: Period) -> Figure:
    failed = [row for row in rows if row.status in NOT_DELIVERED]
    figure = _counts_by(
        "texts-not-delivered",
        "Texts not delivered",
        "texts not delivered",
        span,
        period,
        ((row.day, row.status) for row in failed),
        NOT_DELIVERED,
        TEXT_STATUS_LABELS,
        {
            "Failed": "#d4351c",
            "Not sent (no safe way)": "#f47738",
            "Uncertain": "#6f72af",
            "Expired": "#505a5f",
        },
    )
    rate = share(len(failed), len(rows))
    summary = (
        f"{len(failed)} of {len(rows)} texts ({rate}%) were not delivered."
        if rows
        else "No text was queued in these dates."
    )
    return Figure(figure.key, figure.title, summary, figure.columns, figure.rows, figure.chart)


STATUS_COLOURS = {
    "Booked": "#1d70b8",
    "Rescheduled": "#912b88",
    "Waiting": "#b58840",
    "In call": "#28a197",
    "Completed": "#00703c",
    "Cancelled": "#505a5f",
    "No-show": "#d4351c",
}

FIGURE_KEYS = (
    "appointments-by-type",
    "appointments-by-route",
    "appointments-by-outcome",
    "time-to-appointment",
    "seen-within-deadline",
    "no-shows",
    "feedback",
    "officer-utilisation",
    "texts-not-delivered",
)


@dataclass(frozen=True)
class Rows:
    """Everything the figures are computed from, for one span."""

    appointments: Sequence[AppointmentRow]
    in_person: Sequence[InPersonRow]
    shifts: Sequence[ShiftRow]
    feedback: Sequence[FeedbackRow]
    texts: Sequence[TextRow]
    type_order: Sequence[str] = ()


def _makers(rows: Rows, span: Span, period: Period) -> dict[str, Callable[[], Figure]]:
    return {
        "appointments-by-type": lambda: appointments_by_type(
            rows.appointments, span, period, rows.type_order
        ),
        "appointments-by-route": lambda: responses_by_route(
            rows.appointments, rows.in_person, span, period
        ),
        "appointments-by-outcome": lambda: appointments_by_outcome(rows.appointments, span, period),
        "time-to-appointment": lambda: time_to_appointment(rows.appointments),
        "seen-within-deadline": lambda: seen_within_deadline(rows.appointments),
        "no-shows": lambda: no_show_rate(rows.appointments, span, period),
        "feedback": lambda: feedback_scores(rows.feedback),
        "officer-utilisation": lambda: officer_utilisation(rows.appointments, rows.shifts),
        "texts-not-delivered": lambda: texts_not_delivered(rows.texts, span, period),
    }


def all_figures(rows: Rows, span: Span, period: Period) -> list[Figure]:
    """Every figure, in the dashboard's order (FIGURE_KEYS)."""
    makers = _makers(rows, span, period)
    return [makers[key]() for key in FIGURE_KEYS]


def figure_named(rows: Rows, span: Span, period: Period, key: str) -> Figure:
    """One figure; KeyError for a key not in FIGURE_KEYS."""
    return _makers(rows, span, period)[key]()
