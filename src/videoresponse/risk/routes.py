"""The DASH pages: the officer's form for an appointment, and the supervisor's list.

Thin: the service checks who may open what (the appointment's officer, supervisors,
administrators) and audits every view and change.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.responses import RedirectResponse, Response

from videoresponse.booking.service import NotFound
from videoresponse.core.auth.deps import require
from videoresponse.core.auth.rules import Role
from videoresponse.core.auth.service import StaffMember
from videoresponse.core.db import utcnow
from videoresponse.core.web import app_db, app_settings, render
from videoresponse.risk import reading, service
from videoresponse.risk.checklist import Checklist, ChecklistError, load_checklist
from videoresponse.risk.rules import RiskLevel, RiskRuleError
from videoresponse.rota.forms import Errors, FormFields
from videoresponse.rota.team_time import TeamClock

router = APIRouter(include_in_schema=False)
RiskStaff = Annotated[
    StaffMember, Depends(require(Role.VIDEO_OFFICER, Role.SUPERVISOR, Role.ADMINISTRATOR))
]
RiskSupervisor = Annotated[StaffMember, Depends(require(Role.SUPERVISOR, Role.ADMINISTRATOR))]
START = "/officer/appointments/{appointment_id}/risk"
ASSESSMENT = START + "/{assessment_id}"
LIST_LIMIT = 200


def _checklist(request: Request) -> Checklist:
    try:
        return load_checklist(app_settings(request).risk_checklist_file)
    except ChecklistError as error:
        raise HTTPException(
            503, f"The risk checklist cannot be used: {error}. Ask an administrator."
        ) from None


def _refused(error: Exception) -> HTTPException:
    if isinstance(error, NotFound):
        return HTTPException(404, str(error) + ".")
    return HTTPException(403, "Only the appointment's officer or a supervisor can open this.")


def _start_page(
    request: Request,
    member: StaffMember,
    appointment_id: int,
    *,
    form: dict[str, str] | None = None,
    errors: Errors | None = None,
    status_code: int = 200,
) -> Response:
    checklist = _checklist(request)
    try:
        case = reading.appointment_risk(app_db(request), appointment_id=appointment_id, by=member)
    except (NotFound, service.NotAllowed) as error:
        raise _refused(error) from None
    return render(
        request,
        "risk/start.html",
        {
            "case": case,
            "checklist": checklist,
            "clock": TeamClock.named(app_settings(request).timezone),
            "form": form or {},
            "errors": errors or {},
        },
        status_code=status_code,
    )


@router.get(START)
def start_page(request: Request, appointment_id: int, member: RiskStaff) -> Response:
    return _start_page(request, member, appointment_id)


@router.post(START)
def start(request: Request, appointment_id: int, member: RiskStaff, form: FormFields) -> Response:
    try:
        made = service.record_safety(
            app_db(request),
            _checklist(request),
            appointment_id=appointment_id,
            answers=form,
            by=member,
            now=utcnow(),
        )
    except (NotFound, service.NotAllowed) as error:
        raise _refused(error) from None
    except service.FormProblem as problem:
        return _start_page(
            request, member, appointment_id, form=form, errors=problem.errors, status_code=400
        )
    url = ASSESSMENT.format(appointment_id=appointment_id, assessment_id=made)
    return RedirectResponse(url, status_code=303)


def _page(
    request: Request,
    member: StaffMember,
    appointment_id: int,
    assessment_id: int,
    *,
    step: str = "",
    notice: str = "",
    form: dict[str, str] | None = None,
    errors: Errors | None = None,
    status_code: int = 200,
) -> Response:
    settings = app_settings(request)
    try:
        view = reading.assessment(
            app_db(request),
            settings,
            _checklist(request),
            appointment_id=appointment_id,
            assessment_id=assessment_id,
            by=member,
            now=utcnow(),
        )
    except (NotFound, service.NotAllowed) as error:
        raise _refused(error) from None
    return render(
        request,
        "risk/assessment.html",
        {
            "view": view,
            "step": step if view.is_open else "record",
            "notice": notice,
            "level_choices": [(level.value, level.label) for level in RiskLevel],
            "clock": TeamClock.named(settings.timezone),
            "form": form or {},
            "errors": errors or {},
            "base": ASSESSMENT.format(appointment_id=appointment_id, assessment_id=assessment_id),
        },
        status_code=status_code,
    )


@router.get(ASSESSMENT)
def assessment_page(
    request: Request,
    appointment_id: int,
    assessment_id: int,
    member: RiskStaff,
    step: str = "questions",
    saved: str = "",
) -> Response:
    notice = {"answers": "Answers saved.", "outcome": "Outcome recorded."}.get(saved, "")
    return _page(
        request,
        member,
        appointment_id,
        assessment_id,
        step="summary" if step == "summary" else "questions",
        notice=notice,
    )


def _run(
    request: Request,
    member: StaffMember,
    ids: tuple[int, int],
    change: Callable[[], None],
    *,
    step: str,
    field: str,
    form: dict[str, str],
    then: str,
) -> Response:
    """Run one change and go on; refused, the same step again with the message and the
    typed text, so nothing typed is lost."""
    appointment_id, assessment_id = ids
    try:
        change()
    except (NotFound, service.NotAllowed) as error:
        raise _refused(error) from None
    except service.Closed as error:
        raise HTTPException(409, str(error)) from None
    except RiskRuleError as error:
        errors = (
            error.errors
            if isinstance(error, service.FormProblem)
            else {error.field or field: str(error)}
        )
        return _page(
            request,
            member,
            appointment_id,
            assessment_id,
            step=step,
            form=form,
            errors=errors,
            status_code=400,
        )
    url = ASSESSMENT.format(appointment_id=appointment_id, assessment_id=assessment_id)
    return RedirectResponse(url + then, status_code=303)


@router.post(ASSESSMENT + "/answers")
def save_answers(
    request: Request, appointment_id: int, assessment_id: int, member: RiskStaff, form: FormFields
) -> Response:
    answers = {k.removeprefix("answer-"): v for k, v in form.items() if k.startswith("answer-")}
    notes = {k.removeprefix("note-"): v for k, v in form.items() if k.startswith("note-")}
    return _run(
        request,
        member,
        (appointment_id, assessment_id),
        lambda: service.save_answers(
            app_db(request),
            _checklist(request),
            appointment_id=appointment_id,
            assessment_id=assessment_id,
            answers=answers,
            notes=notes,
            by=member,
            now=utcnow(),
        ),
        step="questions",
        field="questions",
        form=form,
        then="?step=summary" if form.get("action") == "summary" else "?saved=answers#questions",
    )


@router.post(ASSESSMENT + "/judgement")
def record_judgement(
    request: Request, appointment_id: int, assessment_id: int, member: RiskStaff, form: FormFields
) -> Response:
    def change() -> None:
        try:
            level = RiskLevel(form.get("judgement_level", ""))
        except ValueError:
            raise RiskRuleError(
                "Choose the level after your professional judgement", "judgement_level"
            ) from None
        service.record_judgement(
            app_db(request),
            app_settings(request),
            _checklist(request),
            appointment_id=appointment_id,
            assessment_id=assessment_id,
            level=level,
            reason=form.get("judgement_reason", ""),
            by=member,
            now=utcnow(),
        )

    return _run(
        request,
        member,
        (appointment_id, assessment_id),
        change,
        step="summary",
        field="judgement_level",
        form=form,
        then="?step=summary#judgement",
    )


@router.post(ASSESSMENT + "/outcome")
def record_outcome(
    request: Request, appointment_id: int, assessment_id: int, member: RiskStaff, form: FormFields
) -> Response:
    def change() -> None:
        made = form.get("referral_made", "")
        if made not in ("yes", "no"):
            raise RiskRuleError("Say whether a MARAC referral was made", "referral_made")
        service.record_outcome(
            app_db(request),
            app_settings(request),
            _checklist(request),
            appointment_id=appointment_id,
            assessment_id=assessment_id,
            referral_made=made == "yes",
            why_not=form.get("marac_reason", ""),
            safeguarding_actions=form.get("safeguarding_actions", ""),
            by=member,
            now=utcnow(),
        )

    return _run(
        request,
        member,
        (appointment_id, assessment_id),
        change,
        step="summary",
        field="outcome",
        form=form,
        then="?saved=outcome",
    )


@router.get("/supervisor/risk")
def supervisor_list(request: Request, member: RiskSupervisor) -> Response:
    """The team's assessments, newest first; MARAC due and not referred stands out."""
    lines = reading.supervisor_list(app_db(request), by=member, limit=LIST_LIMIT)
    return render(
        request,
        "risk/supervisor.html",
        {
            "lines": lines,
            "limit": LIST_LIMIT,
            "clock": TeamClock.named(app_settings(request).timezone),
        },
    )
