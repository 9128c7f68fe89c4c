"""The demo's most recent domestic abuse call, worked through as an officer would.

A sealed witness statement, a recorded DASH risk assessment and two still frames, made
through the statements, risk and evidence services themselves (so the audit log,
continuity records and seal are real), on the latest completed call of the demo's history.
Made once: nothing is done when a statement already exists on a history case.
"""

from __future__ import annotations

import base64
import io
from dataclasses import dataclass

from PIL import Image, ImageDraw
from sqlalchemy import select

from videoresponse.booking.models import Appointment
from videoresponse.caller.service import CallerView
from videoresponse.config import Settings
from videoresponse.core.auth import service as accounts
from videoresponse.core.auth.service import StaffMember
from videoresponse.core.db import Database, utcnow
from videoresponse.demo_history import URN_PREFIX
from videoresponse.evidence import service as evidence
from videoresponse.notify.models import JoinLink
from videoresponse.risk import service as risk
from videoresponse.risk.checklist import load_checklist
from videoresponse.risk.rules import RiskLevel
from videoresponse.statements import service as statements
from videoresponse.statements.models import Statement
from videoresponse.statements.rules import FirstPart, RestrictedPart
from videoresponse.triage.models import Incident, PersonRow

STATEMENT = (
    "I was in a relationship with my former partner for four years. We separated in the "
    "spring and I moved to my current address.\n\n"
    "Since then he has sent me messages almost every day, some saying he knows where I "
    "live and that I will regret leaving him. Last week he sent more than forty messages "
    "in one evening. I have kept them on my phone and showed them to the officer during "
    "the video call.\n\n"
    "Two nights ago he came to my front door and kicked it until the frame split. I did "
    "not open the door and he left before the police arrived. I am frightened that he "
    "will come back."
)
SAFETY = {
    "safe_to_talk": "yes",
    "perpetrator_whereabouts": "Not known; believed to be at his mother's address",
    "children_whereabouts": "No children",
    "safe_contact": "The mobile on file, weekdays after 10am",
}
# Eleven yes answers: medium by the score, raised to high by the officer's judgement.
YES = {
    "very_frightened",
    "afraid_of_what",
    "isolated",
    "separation",
    "stalking",
    "more_often",
    "getting_worse",
    "threats_to_kill",
    "breached_orders",
    "criminal_history",
    "financial_issues",
}
NOTES = {
    "stalking": "Over forty messages in one evening last week",
    "threats_to_kill": "Message on Tuesday: 'you won't live to regret it'",
}


@dataclass(frozen=True)
class _Call:
    appointment_id: int
    person_id: int
    link_id: int
    officer: StaffMember


def create_casework(db: Database, settings: Settings) -> bool:
    """Work the history's latest completed call with a domestic abuse victim; False if done
    already or there is none."""
    call = _latest_call(db)
    if call is None:
        return False
    _statement(db, settings, call)
    _risk_assessment(db, settings, call)
    _still_frames(db, settings, call)
    return True


def _latest_call(db: Database) -> _Call | None:
    with db.transaction() as session:
        history = select(Incident.id).where(Incident.urn.startswith(URN_PREFIX))
        if session.scalar(select(Statement.id).where(Statement.incident_id.in_(history)).limit(1)):
            return None
        appointment = session.scalars(
            select(Appointment)
            .join(Incident, Incident.id == Appointment.incident_id)
            .join(PersonRow, PersonRow.id == Appointment.person_id)
            .where(
                Incident.urn.startswith(URN_PREFIX),
                Incident.incident_type == "domestic_abuse",
                PersonRow.role == "victim",
                Appointment.status == "completed",
                Appointment.officer_id.is_not(None),
            )
            .order_by(Appointment.starts_at.desc())
            .limit(1)
        ).first()
        if appointment is None or appointment.officer_id is None:
            return None
        # The link the witness joined (and signed) with, as the booking's text left it.
        link = JoinLink(
            person_id=appointment.person_id,
            appointment_id=appointment.id,
            purpose="join",
            valid_until=appointment.ends_at,
            created_at=appointment.created_at,
        )
        session.add(link)
        session.flush()
        found = appointment.id, appointment.person_id, link.id, appointment.officer_id
    officer = next(member for member, _ in accounts.list_users(db) if member.id == found[3])
    return _Call(found[0], found[1], found[2], officer)


def _statement(db: Database, settings: Settings, call: _Call) -> None:
    """Drafted, presented, signed by the witness, countersigned and sealed."""
    # Imported only when the work is done: WeasyPrint and pyHanko take a second or more
    # to load, and `make run` runs the demo command at every start.
    from videoresponse.statements import signing

    by = call.officer
    opened = statements.officer_state(db, appointment_id=call.appointment_id, by=by)
    first = FirstPart(
        statement_of=opened["first_part"]["statement_of"],
        under_18=False,
        age=None,
        occupation="Care assistant",
        body=STATEMENT,
        pages=1,
    )
    restricted = RestrictedPart(
        contact_details="Mobile on file; text first, never voicemail",
        dates_to_avoid="",
        needs_and_special_measures="",
        medical_records_consent="",
        vps_offered=True,
        vps_made=False,
    )
    draft = statements.Draft(opened["revision"], first, restricted, witness_cannot_read=False)
    statements.save_draft(db, appointment_id=call.appointment_id, draft=draft, by=by)
    version = statements.present(db, appointment_id=call.appointment_id, by=by)
    signing.sign_as_witness(
        db,
        caller=_witness(call),
        number=version["version"],
        sha256=version["sha256"],
        declared=True,
        mark=signing.Mark(first.statement_of, _drawn_mark()),
    )
    signing.countersign(
        db,
        settings,
        appointment_id=call.appointment_id,
        number=version["version"],
        sha256=version["sha256"],
        officer_number="",  # the demo officers' numbers are on their accounts
        by=by,
    )


def _witness(call: _Call) -> CallerView:
    """The witness as their verified link shows them during the call."""
    now = utcnow()
    return CallerView(
        link_id=call.link_id,
        person_id=call.person_id,
        purpose="join",
        verified=True,
        appointment_id=call.appointment_id,
        starts_at=now,
        ends_at=now,
        status="in_call",
        join_opens_at=now,
        may_add_to_calendar=False,
        deadline=None,
        change_closes_at=None,
    )


def _drawn_mark() -> str:
    """A few pen strokes on a transparent pad, as signature_pad sends them."""
    image = Image.new("RGBA", (360, 120), (0, 0, 0, 0))
    pen = ImageDraw.Draw(image)
    pen.line([(16, 92), (40, 30), (58, 88), (76, 40), (92, 84)], fill="#0b0c0c", width=4)
    pen.line([(104, 70), (130, 44), (152, 80), (190, 36), (226, 78)], fill="#0b0c0c", width=4)
    pen.line([(236, 60), (290, 50), (344, 64)], fill="#0b0c0c", width=3)
    out = io.BytesIO()
    image.save(out, format="PNG")
    return "data:image/png;base64," + base64.b64encode(out.getvalue()).decode()


def _risk_assessment(db: Database, settings: Settings, call: _Call) -> None:
    """Medium by the score, raised to high by judgement, referred to MARAC."""
    checklist = load_checklist(settings.risk_checklist_file)
    by, appointment_id = call.officer, call.appointment_id
    made = risk.record_safety(
        db, checklist, appointment_id=appointment_id, answers=SAFETY, by=by, now=utcnow()
    )
    risk.save_answers(
        db,
        checklist,
        appointment_id=appointment_id,
        assessment_id=made,
        answers={q.id: "yes" if q.id in YES else "no" for q in checklist.questions},
        notes=NOTES,
        by=by,
        now=utcnow(),
    )
    risk.record_judgement(
        db,
        settings,
        checklist,
        appointment_id=appointment_id,
        assessment_id=made,
        level=RiskLevel.HIGH,
        reason="Threats to kill are recent and escalating; he came to the address two nights ago",
        by=by,
        now=utcnow(),
    )
    risk.record_outcome(
        db,
        settings,
        checklist,
        appointment_id=appointment_id,
        assessment_id=made,
        referral_made=True,
        why_not="",
        safeguarding_actions="Safety plan agreed; door repair and alarm requested; "
        "referred to the local IDVA service",
        by=by,
        now=utcnow(),
    )


def _still_frames(db: Database, settings: Settings, call: _Call) -> None:
    """What the witness held up to the camera: the messages, and the kicked door."""
    vault = evidence.Vault.from_settings(settings)
    for image in (_messages_frame(), _door_frame()):
        evidence.capture_still(
            db, settings, vault, appointment_id=call.appointment_id, image=image, by=call.officer
        )


def _png(image: Image.Image) -> bytes:
    out = io.BytesIO()
    image.save(out, format="PNG")
    return out.getvalue()


def _messages_frame() -> bytes:
    image = Image.new("RGB", (480, 360), "#2b2d31")
    pen = ImageDraw.Draw(image)
    pen.rounded_rectangle((150, 12, 330, 348), radius=18, fill="#f3f2f1")
    for top, width in ((40, 130), (86, 150), (132, 110), (178, 150), (224, 90), (270, 140)):
        pen.rounded_rectangle((162, top, 162 + width, top + 34), radius=10, fill="#dddddd")
        pen.text((172, top + 11), "you will regret this"[: width // 7], fill="#0b0c0c")
    return _png(image)


def _door_frame() -> bytes:
    image = Image.new("RGB", (480, 360), "#d8d2c4")
    pen = ImageDraw.Draw(image)
    pen.rectangle((150, 20, 330, 360), fill="#1d4f91")
    pen.rectangle((140, 10, 150, 360), fill="#f3f2f1")
    pen.line([(146, 150), (170, 190), (152, 230), (176, 280)], fill="#0b0c0c", width=3)
    pen.ellipse((300, 190, 316, 206), fill="#b1b4b6")
    return _png(image)
