"""The dashboard's figures from plain rows: counts, percentiles, shares, utilisation."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from videoresponse.reports.charts import nice_scale, render
from videoresponse.reports.figures import (
    FIGURE_KEYS,
    AppointmentRow,
    FeedbackRow,
    InPersonRow,
    Period,
    Rows,
    ShiftRow,
    Span,
    TextRow,
    all_figures,
    appointments_by_outcome,
    appointments_by_type,
    feedback_scores,
    no_show_rate,
    officer_utilisation,
    percentile,
    responses_by_route,
    seen_within_deadline,
    texts_not_delivered,
    time_to_appointment,
)

SPAN = Span(date(2026, 11, 2), date(2026, 11, 15))  # Monday to Sunday, two weeks
CALL = datetime(2026, 11, 2, 9, tzinfo=UTC)


def row(
    day: int = 2,
    *,
    incident_type: str = "Theft",
    status: str = "completed",
    band: str = "P1",
    hours_after_call: float = 10,
    deadline_hours: float = 24,
    officer_id: int | None = 1,
    minutes: float = 60,
    follow_up: bool = False,
) -> AppointmentRow:
    starts_at = CALL + timedelta(hours=hours_after_call)
    return AppointmentRow(
        day=date(2026, 11, day),
        incident_type=incident_type,
        status=status,
        band=band,
        called_at=CALL,
        starts_at=starts_at,
        deadline=CALL + timedelta(hours=deadline_hours),
        officer_id=officer_id,
        minutes=minutes,
        follow_up=follow_up,
    )


def test_percentiles_interpolate_between_the_nearest_values() -> None:
    assert percentile([1, 2, 3, 4], 50) == 2.5
    assert percentile([10], 90) == 10
    assert percentile(list(range(1, 11)), 90) == pytest.approx(9.1)
    assert percentile([], 50) is None


def test_appointments_are_counted_per_day_and_type_with_empty_days_shown() -> None:
    rows = [row(2), row(2, incident_type="Fraud"), row(4, incident_type="Fraud")]

    figure = appointments_by_type(rows, SPAN, Period.DAY, ["Theft", "Fraud", "Other"])

    assert figure.columns == ["Day", "Theft", "Fraud", "Total"]
    assert len(figure.rows) == 14
    assert figure.rows[0] == [date(2026, 11, 2), 1, 1, 2]
    assert figure.rows[1] == [date(2026, 11, 3), 0, 0, 0]
    assert figure.rows[2] == [date(2026, 11, 4), 0, 1, 1]
    assert figure.summary.startswith("3 appointments")
    assert figure.chart is not None and len(figure.chart.categories) == 14


def test_by_week_the_days_add_up_to_weeks_beginning_monday() -> None:
    rows = [row(2), row(8), row(9), row(15, status="cancelled")]

    figure = appointments_by_outcome(rows, SPAN, Period.WEEK)

    assert figure.columns == ["Week beginning", "Completed", "Cancelled", "Total"]
    assert figure.rows == [[date(2026, 11, 2), 2, 0, 2], [date(2026, 11, 9), 1, 1, 2]]


def test_rows_outside_the_span_are_not_counted() -> None:
    figure = appointments_by_type([row(1), row(16)], SPAN, Period.DAY, ["Theft"])
    assert all(r[-1] == 0 for r in figure.rows)


def test_routes_count_video_appointments_beside_in_person_requests() -> None:
    figure = responses_by_route(
        [row(3), row(3)], [InPersonRow(date(2026, 11, 3), "attend")], SPAN, Period.WEEK
    )
    assert figure.columns == ["Week beginning", "Video", "Officer attends", "Total"]
    assert figure.rows[0] == [date(2026, 11, 2), 2, 1, 3]


def test_time_to_appointment_uses_the_first_appointment_at_which_the_case_was_seen() -> None:
    rows = [row(hours_after_call=h, band="P1") for h in (2, 4, 6, 8, 10, 12, 14, 16, 18, 20)] + [
        row(hours_after_call=100, band="P1", follow_up=True),
        row(hours_after_call=100, band="P1", status="no_show"),
        row(hours_after_call=30, band="P2"),
    ]

    figure = time_to_appointment(rows)

    assert figure.rows == [["P1", 10, 11.0, 18.2], ["P2", 1, 30.0, 30.0]]
    assert "P1: median 11.0 hours" in figure.summary


def test_the_share_seen_within_the_deadline_is_per_band() -> None:
    rows = [
        row(band="P1", hours_after_call=20),
        row(band="P1", hours_after_call=30),
        row(band="P3", hours_after_call=100, deadline_hours=168),
    ]

    figure = seen_within_deadline(rows)

    assert figure.rows == [["P1", 2, 1, 50.0], ["P3", 1, 1, 100.0]]
    assert figure.summary.startswith("66.7%")


def test_the_no_show_rate_counts_no_shows_over_completed_and_missed() -> None:
    rows = [row(2), row(2), row(2, status="no_show"), row(3, status="cancelled")]

    figure = no_show_rate(rows, SPAN, Period.DAY)

    assert figure.rows[0] == [date(2026, 11, 2), 2, 1, 33.3]
    assert figure.rows[1] == [date(2026, 11, 3), 0, 0, None]
    assert figure.summary.startswith("33.3% of appointments were no-shows (1 of 3")


def test_feedback_shows_each_rating_and_the_average() -> None:
    day = date(2026, 11, 3)
    figure = feedback_scores([FeedbackRow(day, 5), FeedbackRow(day, 4), FeedbackRow(day, 5)])

    assert figure.rows[0] == [5, 2, 66.7]
    assert figure.rows[-1] == [1, 0, 0.0]
    assert "average is 4.67 out of 5" in figure.summary


def test_utilisation_is_booked_minutes_over_shift_minutes_leaving_out_cancellations() -> None:
    rows = [
        row(officer_id=1, minutes=90),
        row(officer_id=1, minutes=60, status="cancelled"),
        row(officer_id=2, minutes=60, status="no_show"),
    ]
    shifts = [ShiftRow(1, "PC One", 480), ShiftRow(2, "PC Two", 240)]

    figure = officer_utilisation(rows, shifts)

    assert figure.rows == [["PC One", 8.0, 1.5, 18.8], ["PC Two", 4.0, 1.0, 25.0]]
    assert figure.summary == "Officers spent 20.8% of their shift time in booked appointments."


def test_texts_not_delivered_are_counted_by_why() -> None:
    day = date(2026, 11, 2)
    texts = [TextRow(day, "delivered"), TextRow(day, "failed"), TextRow(day, "not_sent")]

    figure = texts_not_delivered(texts, SPAN, Period.WEEK)

    assert figure.columns == ["Week beginning", "Failed", "Not sent (no safe way)", "Total"]
    assert figure.rows[0] == [date(2026, 11, 2), 1, 1, 2]
    assert figure.summary == "2 of 3 texts (66.7%) were not delivered."


def test_every_figure_is_made_even_from_no_rows() -> None:
    figures = all_figures(Rows([], [], [], [], []), SPAN, Period.DAY)
    assert [f.key for f in figures] == list(FIGURE_KEYS)
    assert all(f.summary for f in figures)


def test_a_chart_is_svg_with_a_title_and_no_style_attribute() -> None:
    figure = appointments_by_type([row(2), row(3, incident_type="<Fraud>")], SPAN, Period.DAY, [])
    assert figure.chart is not None

    svg = str(render(figure.chart, chart_id="c", title="By type", description="3 in all"))

    assert svg.startswith("<svg") and 'role="img"' in svg
    assert 'aria-labelledby="c-title c-desc"' in svg
    assert '<title id="c-title">By type</title>' in svg
    assert "style=" not in svg and "<script" not in svg
    assert "&lt;Fraud&gt;" in svg and "<Fraud>" not in svg


def test_axis_scales_are_round_numbers() -> None:
    assert nice_scale(3, True) == (3, 1)
    assert nice_scale(17, True) == (20, 5)
    assert nice_scale(100, False) == (100, 50)
    assert nice_scale(0, True) == (1.0, 1.0)
