"""Response routes: what the caller is offered, what they choose, and when it is due."""

from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from types import MappingProxyType

from videoresponse.triage.errors import TriageRuleError
from videoresponse.triage.suitability import SuitabilityDecision
from videoresponse.triage.thrive import Grade


class ResponseRoute(StrEnum):
    VIDEO = "video"
    ATTEND = "attend"
    STATION = "station"

    @property
    def label(self) -> str:
        return _LABELS[self]


_LABELS: dict[ResponseRoute, str] = {
    ResponseRoute.VIDEO: "a video appointment",
    ResponseRoute.ATTEND: "an officer attending",
    ResponseRoute.STATION: "a station visit",
}

DEFAULT_DUE_WITHIN: Mapping[ResponseRoute, Mapping[Grade, timedelta]] = MappingProxyType(
    {
        ResponseRoute.ATTEND: MappingProxyType(
            {
                # Common force targets for emergency attendance are 15 minutes (urban) to
                # 20 (rural); a force sets its own.
                Grade.EMERGENCY: timedelta(minutes=15),
                Grade.PRIORITY: timedelta(hours=1),
                Grade.SCHEDULED: timedelta(hours=24),
                # Triage found no need to deploy; the caller still asked for an officer.
                Grade.RESOLVED_WITHOUT_DEPLOYMENT: timedelta(hours=24),
            }
        ),
        ResponseRoute.STATION: MappingProxyType(
            {
                Grade.PRIORITY: timedelta(hours=72),
                Grade.SCHEDULED: timedelta(hours=72),
                Grade.RESOLVED_WITHOUT_DEPLOYMENT: timedelta(hours=72),
            }
        ),
    }
)
"""Due time after the call for the follow-up of each route and grade.

Attend: grade 1 15 minutes, grade 2 1 hour, grades 3 and 4 24 hours. Station visit: 72
hours (never grade 1). Video has none: its deadline comes from its priority band.
"""


@dataclass(frozen=True)
class RouteOffer:
    """The routes offered to a caller and, once they choose, their choice."""

    offered_routes: tuple[ResponseRoute, ...]
    offered_at: datetime
    chosen: ResponseRoute | None = None


def _check_aware(moment: datetime, name: str) -> None:
    # A programming error, not the call handler's: hence a plain ValueError.
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError(f"{name} must be timezone-aware")


def _lower_first(sentence: str) -> str:
    return sentence[:1].lower() + sentence[1:]


def check_video_may_be_offered(grade: Grade, suitability: SuitabilityDecision) -> None:
    """Video is offered only for grades 2 to 4 and only where it is suitable.

    A grade 1 is never offered video instead of attendance (DOMAIN.md).
    """
    if grade is Grade.EMERGENCY:
        raise TriageRuleError(
            "A grade 1 (emergency) incident cannot be offered a video appointment: "
            "an officer must attend",
            field="route",
        )
    if not suitability.suitable:
        why = "; ".join(_lower_first(r) for r in suitability.reasons)
        raise TriageRuleError(
            "A video appointment cannot be offered because "
            f"{why or _lower_first(suitability.handler_reason)}",
            field="route",
        )


def check_route_may_be_offered(
    route: ResponseRoute, grade: Grade, suitability: SuitabilityDecision
) -> None:
    """Video as ``check_video_may_be_offered``; a grade 1 is only ever attended."""
    if route is ResponseRoute.VIDEO:
        check_video_may_be_offered(grade, suitability)
    elif route is ResponseRoute.STATION and grade is Grade.EMERGENCY:
        raise TriageRuleError(
            "A grade 1 (emergency) incident cannot be offered a station visit: "
            "an officer must attend",
            field="route",
        )


def offer_routes(
    routes: Iterable[ResponseRoute],
    *,
    grade: Grade,
    suitability: SuitabilityDecision,
    offered_at: datetime,
) -> RouteOffer:
    """The offer to record: at least one route, each allowed for this grade."""
    _check_aware(offered_at, "offered_at")
    wanted = set(routes)
    if not wanted:
        raise TriageRuleError("Select at least one route to offer", field="routes")
    for route in wanted:
        check_route_may_be_offered(route, grade, suitability)
    return RouteOffer(
        offered_routes=tuple(route for route in ResponseRoute if route in wanted),
        offered_at=offered_at,
    )


def check_route_choice(
    offered_routes: Collection[ResponseRoute],
    chosen: ResponseRoute,
    grade: Grade,
    suitability: SuitabilityDecision,
) -> None:
    """The caller chose a route that was offered and that this grade allows."""
    if chosen not in offered_routes:
        raise TriageRuleError("Select one of the routes offered to the caller", field="route")
    check_route_may_be_offered(chosen, grade, suitability)


def choose_route(
    offer: RouteOffer,
    chosen: ResponseRoute,
    *,
    grade: Grade,
    suitability: SuitabilityDecision,
) -> RouteOffer:
    """The offer with the caller's choice recorded."""
    check_route_choice(offer.offered_routes, chosen, grade, suitability)
    return replace(offer, chosen=chosen)


def due_at_for_route(
    route: ResponseRoute,
    grade: Grade,
    called_at: datetime,
    due_within: Mapping[ResponseRoute, Mapping[Grade, timedelta]] = DEFAULT_DUE_WITHIN,
) -> datetime:
    """When the follow-up for an attendance or a station visit is due, in UTC.

    Elapsed time from the call (see ``DEFAULT_DUE_WITHIN``), so that "within an hour"
    stays 60 minutes across a clock change.
    """
    _check_aware(called_at, "called_at")
    within = due_within.get(route, {}).get(grade)
    if within is None:
        raise TriageRuleError(
            f"No due time is set for {route.label} at {grade.label}", field="route"
        )
    # Add in UTC: added to a zoneinfo datetime, a timedelta moves the wall clock instead.
    return called_at.astimezone(UTC) + within
