"""Call handling use cases on a real (SQLite) database."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select

from tests.factories import make_incident_draft, make_staff
from videoresponse.booking.models import Appointment
from videoresponse.config import Settings
from videoresponse.core.audit import AuditEntry
from videoresponse.core.auth.rules import Role
from videoresponse.core.auth.service import StaffMember
from videoresponse.core.db import Database, utcnow
from videoresponse.triage import service
from videoresponse.triage.drafts import (
    DraftErrors,
    DuplicateUrn,
    IncidentDraft,
    PersonDraft,
    SafeContactDraft,
    SafeTimeDraft,
)
from videoresponse.triage.models import InPersonRequest, SafeContactRow
from videoresponse.triage.rules import ResponseRoute, TriageRuleError
from videoresponse.triage.views import IncidentStatus, RouteChoice

VIDEO, ATTEND, STATION = ResponseRoute.VIDEO, ResponseRoute.ATTEND, ResponseRoute.STATION


@pytest.fixture
def handler(db: Database) -> StaffMember:
    return make_staff(db, Role.CALL_HANDLER)


def record(db: Database, settings: Settings, handler: StaffMember, **draft: Any) -> int:
    return service.record_incident(db, settings, draft=make_incident_draft(**draft), by=handler)


def choose(
    db: Database,
    settings: Settings,
    handler: StaffMember,
    incident_id: int,
    chosen: ResponseRoute,
    offered: list[ResponseRoute] | None = None,
) -> RouteChoice:
    view = service.get_incident(db, incident_id=incident_id, by=handler, why="test")
    return service.record_route_choice(
        db,
        settings,
        incident_id=incident_id,
        person_id=view.people[0].id,
        offered=offered or [chosen],
        chosen=chosen,
        reason="",
        by=handler,
    )


def audit_entries(db: Database) -> list[AuditEntry]:
    with db.transaction() as session:
        return list(session.scalars(select(AuditEntry).order_by(AuditEntry.seq)))


def test_recording_an_incident_keeps_the_people_thrive_and_safe_contact(
    db: Database, settings: Settings, handler: StaffMember
) -> None:
    incident_id = record(db, settings, handler, urn=" 01/000123/26 ")
    view = service.get_incident(db, incident_id=incident_id, by=handler, why="call handling")
    assert view.urn == "01/000123/26"
    assert (view.grade, view.priority_band, view.suitable_for_video) == (2, "P1", True)
    assert [(line.dimension, line.level) for line in view.thrive][:2] == [
        ("threat", "medium"),
        ("harm", "high"),
    ]
    person = view.people[0]
    assert (person.name, person.mobile) == ("Alex Example", "+447700900123")
    contact = person.safe_contact
    assert contact is not None
    assert (contact.may_text, contact.may_call, contact.code_word) == (True, True, "bluebell")
    assert contact.words_never_to_use == ["police", "court"]
    assert (contact.wants_reminders, contact.may_add_to_calendar) == (False, False)
    assert sorted(t.weekday for t in contact.safe_times) == list(range(7))


def test_the_deadline_is_the_time_of_the_call_plus_the_bands_hours(
    db: Database, settings: Settings, handler: StaffMember
) -> None:
    called_at = utcnow() - timedelta(hours=1)
    shorter = settings.model_copy(update={"p1_hours": 12})
    incident_id = record(db, shorter, handler, called_at=called_at)
    view = service.get_incident(db, incident_id=incident_id, by=handler, why="test")
    assert view.deadline == called_at + timedelta(hours=12)


def test_every_problem_with_a_draft_is_listed_at_once(
    db: Database, settings: Settings, handler: StaffMember
) -> None:
    blank = IncidentDraft(people=[PersonDraft(safe_contact=SafeContactDraft(may_text=True))])
    with pytest.raises(DraftErrors) as problems:
        service.record_incident(db, settings, draft=blank, by=handler)
    errors = problems.value.errors
    expected = {
        "urn",
        "incident_type",
        "summary",
        "called_at",
        "people-0-name",
        "people-0-date_of_birth",
        "people-0-safe_windows",
        "grade",
        "priority_band",
    }
    expected |= {
        f"{d}_{part}" for d in ("threat", "harm", "risk") for part in ("level", "rationale")
    }
    assert expected <= set(errors)
    assert errors["people-0-name"] == "Enter the victim's full name"
    assert errors["threat_level"] == "Select low, medium or high for threat"


def test_each_safe_contact_problem_is_listed_against_its_own_field(
    db: Database, settings: Settings, handler: StaffMember
) -> None:
    draft = make_incident_draft()
    draft.people[0].mobile = "020 7946 0000"
    draft.people[0].safe_contact = SafeContactDraft(
        may_text=True,
        may_leave_voicemail=True,
        safe_times=[SafeTimeDraft("weekdays", "17:00", "09:00"), SafeTimeDraft("", "10:00", "")],
        safe_number="020 7946 0000",
    )
    with pytest.raises(DraftErrors) as problems:
        service.record_incident(db, settings, draft=draft, by=handler)
    assert problems.value.errors == {
        "people-0-mobile": "Enter a UK mobile number, like 07700 900123",
        "people-0-may_leave_voicemail": "A voicemail can only be safe if calls are safe",
        "people-0-safe_windows-0-end": "The end of a safe time must be after its start",
        "people-0-safe_windows-1-days": "Select the days of this safe time",
        "people-0-safe_windows-1-end": "Enter the end of the safe time, like 17:30",
        "people-0-safe_number": "A text cannot go to a landline: enter a mobile as the safe "
        "number, or say that texts are not safe",
    }


def test_a_code_word_that_is_a_word_never_to_use_is_refused(
    db: Database, settings: Settings, handler: StaffMember
) -> None:
    draft = make_incident_draft()
    draft.people[0].safe_contact.code_word = "Court"
    with pytest.raises(DraftErrors) as problems:
        service.record_incident(db, settings, draft=draft, by=handler)
    assert "people-0-code_word" in problems.value.errors


def test_a_duplicate_urn_is_refused_with_a_clear_error(
    db: Database, settings: Settings, handler: StaffMember
) -> None:
    first = record(db, settings, handler, urn="01/555555/26")
    with pytest.raises(DuplicateUrn) as duplicate:
        record(db, settings, handler, urn="01/555555/26 ")
    assert duplicate.value.errors == {
        "urn": "An incident with URN 01/555555/26 is already recorded"
    }
    assert duplicate.value.existing_id == first


def test_a_grade_or_band_less_urgent_than_suggested_needs_a_reason(
    db: Database, settings: Settings, handler: StaffMember
) -> None:
    with pytest.raises(DraftErrors) as problems:
        record(db, settings, handler, grade=3, priority_band="P2")
    assert set(problems.value.errors) == {"grade_reason", "priority_band_reason"}
    draft = replace(
        make_incident_draft(grade=3, priority_band="P2"),
        grade_reason="Suspect has left and is in custody",
        priority_band_reason="Caller is at work until Thursday",
    )
    incident_id = service.record_incident(db, settings, draft=draft, by=handler)
    view = service.get_incident(db, incident_id=incident_id, by=handler, why="test")
    assert view.grade_reason == "Suspect has left and is in custody"


def test_an_officer_gender_preference_is_refused_outside_domestic_abuse(
    db: Database, settings: Settings, handler: StaffMember
) -> None:
    with pytest.raises(DraftErrors) as problems:
        record(db, settings, handler, incident_type="theft", preferred_officer_gender="female")
    assert list(problems.value.errors) == ["people-0-preferred_officer_gender"]
    incident_id = record(db, settings, handler, preferred_officer_gender="female")
    view = service.get_incident(db, incident_id=incident_id, by=handler, why="test")
    assert view.people[0].preferred_officer_gender == "female"


def test_a_call_in_the_future_is_refused(
    db: Database, settings: Settings, handler: StaffMember
) -> None:
    with pytest.raises(DraftErrors) as problems:
        record(db, settings, handler, called_at=utcnow() + timedelta(hours=1))
    assert problems.value.errors == {"called_at": "Time of the call must be in the past"}


def test_grade_1_case_cannot_choose_video(
    db: Database, settings: Settings, handler: StaffMember
) -> None:
    incident_id = record(db, settings, handler, levels={"threat": "high"}, grade=1)
    view = service.get_incident(db, incident_id=incident_id, by=handler, why="test")
    assert view.routes_to_offer()[VIDEO].startswith("A grade 1 (emergency) incident")
    with pytest.raises(DraftErrors) as problems:
        choose(db, settings, handler, incident_id, VIDEO, offered=[VIDEO, ATTEND])
    assert "grade 1" in problems.value.errors["routes"]


def test_a_case_unsuitable_for_video_cannot_be_offered_it(
    db: Database, settings: Settings, handler: StaffMember
) -> None:
    incident_id = record(db, settings, handler, suitability_flags=["suspect_present"])
    with pytest.raises(DraftErrors) as problems:
        choose(db, settings, handler, incident_id, VIDEO)
    assert problems.value.errors["routes"] == (
        "A video appointment cannot be offered because the suspect is present"
    )


def test_the_choice_must_be_one_of_the_routes_offered(
    db: Database, settings: Settings, handler: StaffMember
) -> None:
    incident_id = record(db, settings, handler)
    with pytest.raises(DraftErrors) as problems:
        choose(db, settings, handler, incident_id, STATION, offered=[VIDEO, ATTEND])
    assert problems.value.errors == {"route": "Select one of the routes offered to the caller"}


def test_attend_choice_creates_an_in_person_request_due_within_the_grades_target(
    db: Database, settings: Settings, handler: StaffMember
) -> None:
    called_at = utcnow() - timedelta(minutes=20)
    incident_id = record(db, settings, handler, called_at=called_at)
    choice = choose(db, settings, handler, incident_id, ATTEND, offered=[VIDEO, ATTEND])
    # Grade 2 (priority): an officer attends within an hour of the call.
    assert choice.due_at == called_at + timedelta(hours=1)
    [request] = service.open_in_person_requests(db, by=handler)
    assert (request.id, request.route, request.incident_id) == (
        choice.in_person_request_id,
        "attend",
        incident_id,
    )
    [summary] = service.list_recent_incidents(db, limit=10, by=handler)
    assert summary.status is IncidentStatus.IN_PERSON


def test_a_new_choice_closes_the_open_in_person_request(
    db: Database, settings: Settings, handler: StaffMember
) -> None:
    incident_id = record(db, settings, handler)
    first = choose(db, settings, handler, incident_id, STATION, offered=[VIDEO, STATION])
    choose(db, settings, handler, incident_id, VIDEO, offered=[VIDEO, STATION])
    assert service.open_in_person_requests(db, by=handler) == []
    with db.transaction() as session:
        closed = session.get(InPersonRequest, first.in_person_request_id)
        assert closed is not None and closed.outcome.startswith("Replaced: the caller then chose")
    view = service.get_incident(db, incident_id=incident_id, by=handler, why="test")
    assert [offer.chosen for offer in view.route_offers] == ["station", "video"]


def test_closing_an_in_person_request_needs_an_outcome_and_is_audited(
    db: Database, settings: Settings, handler: StaffMember
) -> None:
    supervisor = make_staff(db, Role.SUPERVISOR)
    incident_id = record(db, settings, handler)
    request_id = choose(db, settings, handler, incident_id, ATTEND).in_person_request_id
    assert request_id is not None
    with pytest.raises(TriageRuleError, match="Enter what happened"):
        service.close_in_person_request(db, request_id=request_id, outcome=" ", by=supervisor)
    service.close_in_person_request(
        db, request_id=request_id, outcome="Attended; statement taken", by=supervisor
    )
    assert service.open_in_person_requests(db, by=supervisor) == []
    last = audit_entries(db)[-1]
    assert (last.action, last.event, last.actor) == (
        "alteration",
        "in_person_request.closed",
        supervisor.actor,
    )
    assert "statement" not in last.detail
    with pytest.raises(TriageRuleError, match="already closed"):
        service.close_in_person_request(db, request_id=request_id, outcome="Again", by=supervisor)


def test_a_person_from_another_incident_is_not_found(
    db: Database, settings: Settings, handler: StaffMember
) -> None:
    first, second = record(db, settings, handler), record(db, settings, handler)
    other = service.get_incident(db, incident_id=second, by=handler, why="test").people[0]
    with pytest.raises(service.NotFound):
        service.record_route_choice(
            db,
            settings,
            incident_id=first,
            person_id=other.id,
            offered=[VIDEO],
            chosen=VIDEO,
            reason="",
            by=handler,
        )


def test_video_cannot_be_booked_until_the_caller_chooses_it(
    db: Database, settings: Settings, handler: StaffMember
) -> None:
    incident_id = record(db, settings, handler)
    person_id = service.get_incident(db, incident_id=incident_id, by=handler, why="t").people[0].id
    with pytest.raises(TriageRuleError, match="chose a video appointment"):
        service.check_video_may_be_booked(db, person_id=person_id)
    choose(db, settings, handler, incident_id, VIDEO)
    assert service.check_video_may_be_booked(db, person_id=person_id) == incident_id


def test_another_route_is_refused_while_a_video_appointment_is_booked(
    db: Database, settings: Settings, handler: StaffMember
) -> None:
    incident_id = record(db, settings, handler)
    choose(db, settings, handler, incident_id, VIDEO, offered=[VIDEO, ATTEND])
    person_id = service.get_incident(db, incident_id=incident_id, by=handler, why="t").people[0].id
    start = utcnow() + timedelta(hours=2)
    with db.transaction() as session:
        session.add(
            Appointment(
                incident_id=incident_id,
                person_id=person_id,
                starts_at=start,
                ends_at=start + timedelta(minutes=90),
                reserved_until=start + timedelta(minutes=105),
                status="booked",
                created_by=handler.id,
            )
        )
    [summary] = service.list_recent_incidents(db, limit=5, by=handler)
    assert summary.status is IncidentStatus.BOOKED
    with pytest.raises(DraftErrors, match="cancel it before"):
        choose(db, settings, handler, incident_id, ATTEND, offered=[VIDEO, ATTEND])


def test_recent_incidents_say_where_each_stands(
    db: Database, settings: Settings, handler: StaffMember
) -> None:
    waiting = record(db, settings, handler, called_at=utcnow() - timedelta(minutes=30))
    video = record(db, settings, handler, called_at=utcnow() - timedelta(minutes=20))
    choose(db, settings, handler, video, VIDEO)
    statuses = {s.id: s.status for s in service.list_recent_incidents(db, limit=10, by=handler)}
    assert statuses == {waiting: IncidentStatus.TO_OFFER, video: IncidentStatus.TO_BOOK}
    assert [s.id for s in service.list_recent_incidents(db, limit=1, by=handler)] == [video]


def test_recording_is_audited_as_collection_with_ids_and_field_names_only(
    db: Database, settings: Settings, handler: StaffMember
) -> None:
    incident_id = record(db, settings, handler)
    entries = [e for e in audit_entries(db) if e.actor == handler.actor]
    assert [(e.action, e.event) for e in entries] == [
        ("collection", "incident.recorded"),
        ("collection", "person.recorded"),
        ("collection", "safe_contact.recorded"),
    ]
    assert entries[0].object_id == str(incident_id)
    person_fields = json.loads(entries[1].detail)["fields"]
    assert {"name", "date_of_birth", "mobile"} <= set(person_fields)
    everything = " ".join(e.detail + e.why for e in entries).lower()
    for secret in ("alex", "example", "7700", "bluebell", "court", "pushed"):
        assert secret not in everything


def test_viewing_an_incident_is_audited_with_why(
    db: Database, settings: Settings, handler: StaffMember
) -> None:
    incident_id = record(db, settings, handler)
    view = service.get_incident(db, incident_id=incident_id, by=handler, why="booking")
    last = audit_entries(db)[-1]
    assert (last.action, last.event, last.object_type, last.object_id, last.why) == (
        "consultation",
        "incident.viewed",
        "incident",
        str(incident_id),
        "booking",
    )
    assert json.loads(last.detail) == {"people": [view.people[0].id]}


def test_an_unknown_incident_is_not_found_and_not_audited(
    db: Database, handler: StaffMember
) -> None:
    before = len(audit_entries(db))
    with pytest.raises(service.NotFound):
        service.get_incident(db, incident_id=999, by=handler, why="test")
    assert len(audit_entries(db)) == before


def test_safe_contact_is_stored_for_every_person(
    db: Database, settings: Settings, handler: StaffMember
) -> None:
    draft = make_incident_draft()
    witness = replace(draft.people[0], role="witness", name="Sam Witness")
    witness.safe_contact = SafeContactDraft()  # no texts, no calls: no safe times needed
    draft.people.append(witness)
    incident_id = service.record_incident(db, settings, draft=draft, by=handler)
    with db.transaction() as session:
        contacts = session.scalars(select(SafeContactRow)).all()
    assert len(contacts) == 2
    view = service.get_incident(db, incident_id=incident_id, by=handler, why="test")
    assert [p.role for p in view.people] == ["victim", "witness"]
