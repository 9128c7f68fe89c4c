"""The demo's incidents: fictional people, 07700 900xxx numbers (Ofcom's drama range).

Inserted as rows, as a call handler's triage would leave them: the THRIVE assessment
with a rationale for each score, the grade and band, suitability, safe contact and the
route offer with the caller's choice. Times are relative to when the demo runs, so the
queue always has one case near its deadline and one past it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from sqlalchemy.orm import Session

from videoresponse.booking.rules import PriorityBand, deadline_for
from videoresponse.config import Settings
from videoresponse.triage.models import (
    Incident,
    InPersonRequest,
    PersonRow,
    RouteOfferRow,
    SafeContactRow,
    SafeWindowRow,
    ThriveScoreRow,
)
from videoresponse.triage.rules import Grade, ResponseRoute, due_at_for_route

URN_PREFIX = "DEMO-"
DIMENSIONS = ("threat", "harm", "risk", "investigation", "vulnerability", "engagement")
LEVELS = {"L": "low", "M": "medium", "H": "high"}
RATIONALES = {
    ("threat", "low"): "No threat of further harm reported; the suspect is not at the address.",
    ("threat", "medium"): "The suspect knows the caller and may try contact again; no "
    "immediate threat.",
    ("harm", "low"): "No injury; loss or damage is minor.",
    ("harm", "medium"): "Distress and damage to property; no injury needing treatment.",
    ("harm", "high"): "Injury reported and the caller is very distressed.",
    ("risk", "low"): "Nothing suggests a repeat soon.",
    ("risk", "medium"): "Incidents have happened before and may happen again in the coming days.",
    ("risk", "high"): "Incidents are getting more frequent and more serious.",
    ("investigation", "low"): "Few lines of enquiry beyond the caller's account.",
    ("investigation", "medium"): "A statement and photographs are needed; possible witnesses.",
    ("investigation", "high"): "CCTV and phone evidence must be secured before it is lost.",
    ("vulnerability", "low"): "No vulnerability identified.",
    ("vulnerability", "medium"): "The caller lives alone and is anxious about the incident.",
    ("vulnerability", "high"): "Repeat victim, or under 18, or has a disability that adds risk.",
    ("engagement", "low"): "The caller is happy to wait for a convenient time.",
    ("engagement", "medium"): "The caller will give a statement by video and wants it soon.",
    ("engagement", "high"): "The caller may disengage if nobody contacts them today.",
}
EVERY_EVENING = [(day, time(8), time(21, 30)) for day in range(7)]


@dataclass(frozen=True)
class DemoPerson:
    name: str
    role: str
    date_of_birth: date
    mobile: str
    language: str = "English"
    interpreter_needed: bool = False
    accessibility_needs: str = ""
    preferred_officer_gender: str | None = None
    safe_windows: list[tuple[int, time, time]] = field(default_factory=lambda: EVERY_EVENING)
    words_never_to_use: list[str] = field(default_factory=list)
    safe_number: str | None = None
    code_word: str | None = None


@dataclass(frozen=True)
class DemoCase:
    number: int
    incident_type: str
    summary: str
    grade: Grade
    band: PriorityBand
    called_ago: timedelta
    thrive: str  # one of L/M/H per dimension, in THRIVE order
    person: DemoPerson
    route: ResponseRoute = ResponseRoute.VIDEO
    unsuitable: tuple[str, ...] = ()
    # (days from today, local start or None for the first free time, officer username)
    book: tuple[int, time | None, str | None] | None = None

    @property
    def urn(self) -> str:
        return f"{URN_PREFIX}{self.number:04d}"


def _born(years_ago: int, today: date) -> date:
    return date(today.year - years_ago, 3, 14)


def demo_cases(today: date) -> list[DemoCase]:
    """In booking order: the fixed time that the e2e test's absence hits comes first."""
    return [
        DemoCase(
            number=3,
            incident_type="anti_social_behaviour",
            summary="Neighbours' guests play loud music late most nights and shouted abuse "
            "when asked to stop.",
            grade=Grade.SCHEDULED,
            band=PriorityBand.P3,
            called_ago=timedelta(hours=26),
            thrive="LLMLLL",
            person=DemoPerson("Morgan Blake", "victim", _born(44, today), "+447700900103"),
            book=(1, time(9), "officer1"),
        ),
        DemoCase(
            number=1,
            incident_type="domestic_abuse",
            summary="Ex-partner has sent threatening messages and came to the door last "
            "night; left before officers arrived.",
            grade=Grade.PRIORITY,
            band=PriorityBand.P1,
            called_ago=timedelta(hours=3),
            thrive="MMHMHH",
            person=DemoPerson(
                "Priya Nair",
                "victim",
                _born(33, today),
                "+447700900101",
                preferred_officer_gender="female",
                safe_windows=[(day, time(9), time(17)) for day in range(7)],
                words_never_to_use=["court", "statement"],
                safe_number="+447700900111",
                code_word="Bluebell",
            ),
            book=(0, None, None),
        ),
        DemoCase(
            number=2,
            incident_type="theft",
            summary="Bicycle taken from a locked shed overnight; the caller saw two people "
            "leaving on the doorbell camera.",
            grade=Grade.SCHEDULED,
            band=PriorityBand.P2,
            called_ago=timedelta(hours=5),
            thrive="LLLMLM",
            person=DemoPerson(
                "Dylan Hart",
                "witness",
                _born(29, today),
                "+447700900102",
                language="Polish",
                interpreter_needed=True,
            ),
            book=(0, None, None),
        ),
        DemoCase(
            number=4,
            incident_type="criminal_damage",
            summary="Car windscreen smashed outside the family home; a neighbour's camera "
            "may have caught it.",
            grade=Grade.SCHEDULED,
            band=PriorityBand.P2,
            called_ago=timedelta(hours=1),
            thrive="LMLMHL",
            person=DemoPerson(
                "Casey Adeyemi",
                "victim",
                _born(16, today),
                "+447700900104",
                accessibility_needs="Hard of hearing: turn on captions, speak facing the camera",
            ),
            book=(1, time(14), None),
        ),
        DemoCase(
            number=5,
            incident_type="harassment",
            summary="Repeated unwanted messages and calls from a former colleague after "
            "being blocked.",
            grade=Grade.PRIORITY,
            band=PriorityBand.P1,
            called_ago=timedelta(hours=20),  # 4 hours left of 24: near its deadline
            thrive="MMMMMH",
            person=DemoPerson("Riley Evans", "victim", _born(38, today), "+447700900105"),
        ),
        DemoCase(
            number=6,
            incident_type="violence",
            summary="Pushed to the ground in a dispute at a bus stop; grazes, no hospital "
            "treatment.",
            grade=Grade.PRIORITY,
            band=PriorityBand.P1,
            called_ago=timedelta(hours=27),  # 3 hours past its deadline
            thrive="LHMMMM",
            person=DemoPerson(
                "Jordan Ellis",
                "victim",
                _born(52, today),
                "+447700900106",
                accessibility_needs="Uses a screen reader: send documents as text",
            ),
        ),
        DemoCase(
            number=7,
            incident_type="hate_crime",
            summary="Racist graffiti painted on the front of a shop overnight.",
            grade=Grade.SCHEDULED,
            band=PriorityBand.P3,
            called_ago=timedelta(hours=2),
            thrive="LMMMML",
            person=DemoPerson("Niamh Kelly", "witness", _born(61, today), "+447700900107"),
        ),
        DemoCase(
            number=8,
            incident_type="violence",
            summary="Fight outside a takeaway; one man with a head wound, the other still nearby.",
            grade=Grade.PRIORITY,
            band=PriorityBand.P1,
            called_ago=timedelta(minutes=20),
            thrive="MHHHMM",
            person=DemoPerson("Tom Richards", "victim", _born(24, today), "+447700900108"),
            route=ResponseRoute.ATTEND,
            unsuitable=("suspect_present", "in_person_examination"),
        ),
        DemoCase(
            number=9,
            incident_type="fraud",
            summary="Paid a deposit for a holiday let that does not exist; wants to hand in "
            "printed emails.",
            grade=Grade.SCHEDULED,
            band=PriorityBand.P3,
            called_ago=timedelta(hours=80),  # its 72-hour station visit is overdue
            thrive="LLLMLL",
            person=DemoPerson("Hannah Price", "victim", _born(70, today), "+447700900109"),
            route=ResponseRoute.STATION,
        ),
    ]


def insert_case(
    session: Session, case: DemoCase, *, now: datetime, settings: Settings, handler_id: int
) -> int:
    """Insert the case as triage would have left it; return the person's id."""
    called_at = now - case.called_ago
    person = case.person
    incident = Incident(
        urn=case.urn,
        incident_type=case.incident_type,
        summary=case.summary,
        called_at=called_at,
        grade=case.grade.value,
        grade_reason="",
        priority_band=case.band.value,
        deadline=deadline_for(case.band, called_at, settings.band_hours),
        suitable_for_video=not case.unsuitable,
        suitability_flags=list(case.unsuitable),
        suitability_reason="Needs an officer at the scene"
        if case.unsuitable
        else "Has a smartphone and a private room, and agrees to a video appointment",
        created_by=handler_id,
        thrive=[
            ThriveScoreRow(
                dimension=dimension,
                level=LEVELS[letter],
                rationale=RATIONALES.get((dimension, LEVELS[letter]), "Assessed on the call."),
            )
            for dimension, letter in zip(DIMENSIONS, case.thrive, strict=True)
        ],
    )
    row = PersonRow(
        role=person.role,
        name=person.name,
        date_of_birth=person.date_of_birth,
        mobile=person.mobile,
        language=person.language,
        interpreter_needed=person.interpreter_needed,
        accessibility_needs=person.accessibility_needs,
        preferred_officer_gender=person.preferred_officer_gender,
    )
    row.safe_contact = SafeContactRow(
        may_text=True,
        may_call=True,
        may_leave_voicemail=False,
        may_mention_police=not person.words_never_to_use,
        safe_number=person.safe_number,
        code_word=person.code_word,
        words_never_to_use=person.words_never_to_use,
        timezone=settings.timezone,
        windows=[SafeWindowRow(weekday=d, starts=s, ends=e) for d, s, e in person.safe_windows],
    )
    incident.people.append(row)
    session.add(incident)
    session.flush()
    offered = [ResponseRoute.ATTEND] if case.unsuitable else list(ResponseRoute)
    session.add(
        RouteOfferRow(
            incident_id=incident.id,
            person_id=row.id,
            offered=[route.value for route in offered],
            chosen=case.route.value,
            reason="The caller's choice",
            offered_by=handler_id,
            offered_at=called_at + timedelta(minutes=10),
        )
    )
    if case.route is not ResponseRoute.VIDEO:
        session.add(
            InPersonRequest(
                incident_id=incident.id,
                person_id=row.id,
                route=case.route.value,
                due_at=due_at_for_route(case.route, case.grade, called_at),
            )
        )
    return row.id
