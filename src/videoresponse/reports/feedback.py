"""The caller's feedback after their appointment: a rating from 1 to 5 and a comment.

Reached with the caller's session cookie, like the other caller pages, and under the
same rules: neutral words, "Exit this page", nothing asked that identifies them, and
one answer for every session that cannot give feedback (SECURITY.md, ASVS 6.3.8).
The link itself stops working at the end of the appointment; its verified session may
still give feedback for FEEDBACK_OPEN after it.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from videoresponse.booking.models import Appointment
from videoresponse.booking.rules import AppointmentStatus
from videoresponse.caller.routes import cookie_name
from videoresponse.core import audit
from videoresponse.core.audit import Action, CallerActor
from videoresponse.core.db import Database, utcnow
from videoresponse.core.web import render
from videoresponse.notify.models import CallerSession, JoinLink
from videoresponse.notify.outbox import LinkPurpose
from videoresponse.reports.models import Feedback

FEEDBACK_OPEN = timedelta(days=7)
COMMENT_MAX_LENGTH = 1000
RATINGS = {
    5: "Very good",
    4: "Good",
    3: "Neither good nor poor",
    2: "Poor",
    1: "Very poor",
}
# A call that ended without the officer marking it completed is still over at its end time.
_OVER = {AppointmentStatus.WAITING.value, AppointmentStatus.IN_CALL.value}

router = APIRouter(include_in_schema=False)


class NoFeedback(Exception):
    """This session cannot give feedback: one answer whatever the reason."""


class AlreadyGiven(Exception):
    pass


@dataclass(frozen=True)
class FeedbackInvitation:
    appointment_id: int
    actor: CallerActor


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _invitation(session: Session, session_token: str, now: datetime) -> FeedbackInvitation:
    caller = session.scalar(
        select(CallerSession).where(CallerSession.token_hash == _hash(session_token))
    )
    if caller is None or caller.ended_at is not None or caller.verified_at is None:
        raise NoFeedback()
    link = session.get(JoinLink, caller.link_id)
    if (
        link is None
        or link.revoked_at is not None
        or link.locked_at is not None
        or link.purpose != LinkPurpose.JOIN.value
        or link.appointment_id is None
    ):
        raise NoFeedback()
    appointment = session.get_one(Appointment, link.appointment_id)
    over = appointment.status == AppointmentStatus.COMPLETED.value or (
        appointment.status in _OVER and now >= appointment.ends_at
    )
    if not over or now >= appointment.ends_at + FEEDBACK_OPEN:
        raise NoFeedback()
    given = session.scalar(select(Feedback.id).where(Feedback.appointment_id == appointment.id))
    if given is not None:
        raise AlreadyGiven()
    return FeedbackInvitation(appointment.id, CallerActor(link.person_id, link.id))


def check_invited(db: Database, *, session_token: str) -> None:
    """Raise NoFeedback or AlreadyGiven unless this session may give feedback now."""
    with db.transaction() as session:
        _invitation(session, session_token, utcnow())


def give_feedback(db: Database, *, session_token: str, rating: int, comment: str) -> int:
    """Store the caller's rating and comment; the feedback's id."""
    if rating not in RATINGS:
        raise ValueError("rating")
    if len(comment.strip()) > COMMENT_MAX_LENGTH:
        raise ValueError("comment")
    try:
        with db.transaction() as session:
            invited = _invitation(session, session_token, utcnow())
            row = Feedback(
                appointment_id=invited.appointment_id, rating=rating, comment=comment.strip()
            )
            session.add(row)
            session.flush()
            audit.record(
                session,
                actor=invited.actor.actor,
                action=Action.COLLECTION,
                event="feedback.given",
                object_type="feedback",
                object_id=row.id,
                detail={"appointment": invited.appointment_id, "fields": ["rating", "comment"]},
            )
            return row.id
    except IntegrityError:
        # Two submissions at once from the same appointment: the first one counts.
        raise AlreadyGiven() from None


def _page(request: Request, template: str, status_code: int = 200, **context: object) -> Response:
    settings = request.app.state.settings
    return render(
        request,
        template,
        {"phone": settings.force_phone, "ratings": RATINGS, **context},
        status_code=status_code,
    )


def _token(request: Request) -> str:
    return request.cookies.get(cookie_name(request.app.state.settings.cookie_secure), "")


@router.get("/feedback")
def feedback_page(request: Request) -> Response:
    try:
        check_invited(request.app.state.db, session_token=_token(request))
    except NoFeedback:
        return _page(request, "caller/unusable.html")
    except AlreadyGiven:
        return _page(request, "reports/feedback_thanks.html")
    return _page(request, "reports/feedback.html", form={}, errors={})


@router.post("/feedback")
def send_feedback(
    request: Request,
    rating: Annotated[str, Form()] = "",
    comment: Annotated[str, Form()] = "",
) -> Response:
    errors = {}
    if rating not in {str(r) for r in RATINGS}:
        errors["rating"] = "Select how you would rate the service"
    if len(comment.strip()) > COMMENT_MAX_LENGTH:
        errors["comment"] = f"Your comments must be {COMMENT_MAX_LENGTH} characters or fewer"
    if errors:
        try:
            check_invited(request.app.state.db, session_token=_token(request))
        except NoFeedback:
            return _page(request, "caller/unusable.html")
        except AlreadyGiven:
            return _page(request, "reports/feedback_thanks.html")
        form = {"rating": rating, "comment": comment}
        return _page(request, "reports/feedback.html", 400, form=form, errors=errors)
    try:
        give_feedback(
            request.app.state.db,
            session_token=_token(request),
            rating=int(rating),
            comment=comment,
        )
    except NoFeedback:
        return _page(request, "caller/unusable.html")
    except AlreadyGiven:
        pass
    return RedirectResponse("/feedback", status_code=303)
