"""The Victims' Code lists (the supervisor's, and the officer's own people) and a task's page."""

from __future__ import annotations

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import RedirectResponse, Response

from videoresponse.core.auth.deps import Supervisor, VideoOfficer
from videoresponse.core.auth.service import StaffMember
from videoresponse.core.db import utcnow
from videoresponse.core.web import app_db, app_settings, render
from videoresponse.rota.forms import Errors, FormFields
from videoresponse.rota.team_time import TeamClock
from videoresponse.victims import service
from videoresponse.victims.rules import (
    MAX_UPDATE_EVERY,
    NOTE_MAX_LENGTH,
    TaskKind,
    VictimsCodeError,
)

router = APIRouter(include_in_schema=False)
TASK = "/victims/tasks/{task_id}"
DONE_NOTICES = {
    "done": "Task recorded as done.",
    "frequency": "Update frequency recorded.",
    "closed": "Case closed.",
}


@router.get("/supervisor/victims")
def supervisor_list(request: Request, member: Supervisor) -> Response:
    return _list(request, member, mine_only=False)


@router.get("/officer/victims")
def officer_list(request: Request, member: VideoOfficer) -> Response:
    return _list(request, member, mine_only=True)


def _list(request: Request, member: StaffMember, *, mine_only: bool) -> Response:
    settings = app_settings(request)
    tasks = service.open_tasks(app_db(request), settings, by=member, mine_only=mine_only)
    clock = TeamClock.named(settings.timezone)
    return render(
        request,
        "victims/list.html",
        {
            "tasks": tasks,
            "mine_only": mine_only,
            "clock": clock,
            "today": clock.today(utcnow()),
            "overdue": sum(1 for task in tasks if task.overdue),
        },
    )


@router.get(TASK)
def task_page(
    request: Request, task_id: int, member: VideoOfficer, done: str | None = None
) -> Response:
    return _task_page(request, member, task_id, notice=DONE_NOTICES.get(done or ""))


def _task_page(
    request: Request,
    member: StaffMember,
    task_id: int,
    *,
    notice: str | None = None,
    form: dict[str, str] | None = None,
    errors: Errors | None = None,
    status_code: int = 200,
) -> Response:
    settings = app_settings(request)
    try:
        detail = service.task_detail(app_db(request), settings, task_id=task_id, by=member)
    except service.NotFound:
        raise HTTPException(404, "There is no such task.") from None
    except service.NotYours:
        raise HTTPException(403, "This victim has no appointment with you.") from None
    clock = TeamClock.named(settings.timezone)
    return render(
        request,
        "victims/task.html",
        {
            "detail": detail,
            "task": detail.task,
            "is_update": detail.task.kind is TaskKind.UPDATE,
            "clock": clock,
            "notice": notice,
            "form": form or {"every": str(detail.task.update_every)},
            "errors": errors or {},
            "note_max": NOTE_MAX_LENGTH,
            "max_every": MAX_UPDATE_EVERY,
            "back": "/supervisor/victims"
            if member.role.value == "supervisor"
            else "/officer/victims",
        },
        status_code=status_code,
    )


def _redirect(task_id: int, what: str) -> RedirectResponse:
    return RedirectResponse(TASK.format(task_id=task_id) + f"?done={what}", status_code=303)


def _refused(
    request: Request, member: StaffMember, task_id: int, form: dict[str, str], errors: Errors
) -> Response:
    return _task_page(request, member, task_id, form=form, errors=errors, status_code=400)


@router.post(TASK + "/done")
def mark_done(request: Request, task_id: int, member: VideoOfficer, form: FormFields) -> Response:
    try:
        service.complete_task(
            app_db(request),
            app_settings(request),
            task_id=task_id,
            outcome=form.get("outcome", ""),
            note=form.get("note", ""),
            by=member,
        )
    except (service.NotFound, service.NotYours):
        return _task_page(request, member, task_id)
    except VictimsCodeError as error:
        return _refused(request, member, task_id, form, {error.field or "outcome": error.message})
    return _redirect(task_id, "done")


@router.post(TASK + "/frequency")
def update_frequency(
    request: Request, task_id: int, member: VideoOfficer, form: FormFields
) -> Response:
    typed = form.get("every", "").strip()
    if not typed.isdigit():
        return _refused(
            request, member, task_id, form, {"every": "Enter a number of working days, like 5"}
        )
    try:
        service.set_update_frequency(
            app_db(request), app_settings(request), task_id=task_id, every=int(typed), by=member
        )
    except (service.NotFound, service.NotYours):
        return _task_page(request, member, task_id)
    except VictimsCodeError as error:
        return _refused(request, member, task_id, form, {"every": error.message})
    return _redirect(task_id, "frequency")


@router.post(TASK + "/close-case")
def close_case(request: Request, task_id: int, member: VideoOfficer, form: FormFields) -> Response:
    crime = form.get("crime_recorded", "")
    if crime not in {"yes", "no"}:
        return _refused(
            request,
            member,
            task_id,
            form,
            {"crime_recorded": "Select whether a crime was recorded"},
        )
    try:
        service.close_case(
            app_db(request),
            task_id=task_id,
            crime_recorded=crime == "yes",
            crime_reference=form.get("crime_reference", ""),
            by=member,
        )
    except (service.NotFound, service.NotYours):
        return _task_page(request, member, task_id)
    except VictimsCodeError as error:
        field = error.field or "crime_recorded"
        return _refused(request, member, task_id, form, {field: error.message})
    return _redirect(task_id, "closed")
