"""The statement's HTTP: the officer's drafting API, the staff page, the witness's API.

Thin: each route checks who is asking, calls one service function, then tells the
people in the call what changed. The witness's routes take their appointment from their
verified link cookie, never from the address, and only ever return the first part.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable
from datetime import datetime
from typing import Any, TypeVar
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Depends, Form, HTTPException, Request
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, Field
from starlette.concurrency import run_in_threadpool

from videoresponse.caller.service import CallerView
from videoresponse.calls.pages import verified_caller
from videoresponse.calls.protocol import Role
from videoresponse.calls.routes import tell
from videoresponse.core.auth.deps import CurrentStaff, VideoOfficer, require_recent_sign_in
from videoresponse.core.db import utcnow
from videoresponse.core.web import app_db, app_settings, render
from videoresponse.statements import corrections, overview, rules, service, signing, witness
from videoresponse.statements.rules import FirstPart, RestrictedPart, Stale, StatementError
from videoresponse.statements.seal import SealConfigurationError

router = APIRouter(tags=["statements"], include_in_schema=False)
SIGN_ATTEMPTS_PER_MINUTE = 10
T = TypeVar("T")


def _answer(call: Callable[[], T]) -> T:
    """The service's refusals as clear HTTP answers."""
    try:
        return call()
    except service.NotFound as error:
        raise HTTPException(404, str(error)) from None
    except service.NotAllowed as error:
        raise HTTPException(403, str(error)) from None
    except Stale as error:
        raise HTTPException(409, str(error)) from None
    except StatementError as error:
        raise HTTPException(422, str(error)) from None
    except SealConfigurationError as error:
        raise HTTPException(
            503, f"The statement cannot be sealed now: {error} Tell an administrator."
        ) from None


async def _run(call: Callable[[], T]) -> T:
    return await run_in_threadpool(_answer, call)


async def _tell_witness(request: Request, appointment_id: int) -> None:
    state = await _run(lambda: witness.caller_push(app_db(request), appointment_id=appointment_id))
    await tell(request.app, appointment_id, Role.CALLER, state)


# -- the officer's drafting panel -----------------------------------------------------


class FirstPartIn(BaseModel):
    statement_of: str = Field("", max_length=rules.MAX_FIELD_CHARS)
    under_18: bool = False
    age: int | None = None
    occupation: str = Field("", max_length=rules.MAX_FIELD_CHARS)
    body: str = Field("", max_length=rules.MAX_BODY_CHARS)
    pages: int = 1


class RestrictedIn(BaseModel):
    contact_details: str = Field("", max_length=rules.MAX_FIELD_CHARS)
    dates_to_avoid: str = Field("", max_length=rules.MAX_FIELD_CHARS)
    needs_and_special_measures: str = Field("", max_length=rules.MAX_FIELD_CHARS)
    medical_records_consent: str = ""
    vps_offered: bool = False
    vps_made: bool = False


class DraftIn(BaseModel):
    revision: int
    first_part: FirstPartIn
    restricted: RestrictedIn
    witness_cannot_read: bool = False


@router.get("/api/statements/{appointment_id}")
async def officer_state(
    request: Request, appointment_id: int, member: VideoOfficer
) -> JSONResponse:
    db = app_db(request)
    return JSONResponse(
        await _run(lambda: service.officer_state(db, appointment_id=appointment_id, by=member))
    )


@router.put("/api/statements/{appointment_id}/draft")
async def save_draft(
    request: Request, appointment_id: int, body: DraftIn, member: VideoOfficer
) -> JSONResponse:
    """One autosave; 409 when another window saved since this one loaded."""
    draft = service.Draft(
        revision=body.revision,
        first=FirstPart(**body.first_part.model_dump()),
        restricted=RestrictedPart(**body.restricted.model_dump()),
        witness_cannot_read=body.witness_cannot_read,
    )
    db = app_db(request)
    saved = await _run(
        lambda: service.save_draft(db, appointment_id=appointment_id, draft=draft, by=member)
    )
    await _tell_witness(request, appointment_id)
    return JSONResponse(saved)


@router.post("/api/statements/{appointment_id}/versions", status_code=201)
async def present(request: Request, appointment_id: int, member: VideoOfficer) -> JSONResponse:
    """Ask the witness to confirm: the draft becomes the next version."""
    db = app_db(request)
    made = await _run(lambda: service.present(db, appointment_id=appointment_id, by=member))
    await tell(request.app, appointment_id, Role.CALLER, {"type": "statement_presented", **made})
    await _tell_witness(request, appointment_id)
    return JSONResponse(made, status_code=201)


class CorrectionIn(BaseModel):
    from_role: str = Field(max_length=20)
    text: str = Field(max_length=corrections.MAX_CORRECTION_CHARS * 2)
    at: datetime


@router.post("/api/statements/{appointment_id}/corrections", status_code=201)
async def keep_correction(
    request: Request, appointment_id: int, body: CorrectionIn, member: VideoOfficer
) -> JSONResponse:
    """A change asked for in the call, as the officer's panel received it: kept."""
    db = app_db(request)
    kept = await _run(
        lambda: corrections.record(
            db,
            appointment_id=appointment_id,
            from_role=body.from_role,
            text=body.text,
            asked_at=body.at,
            by=member,
        )
    )
    return JSONResponse(kept, status_code=201)


@router.post("/api/statements/{appointment_id}/corrections/{correction_id}/done")
async def correction_done(
    request: Request, appointment_id: int, correction_id: int, member: VideoOfficer
) -> JSONResponse:
    db = app_db(request)
    done = await _run(
        lambda: corrections.mark_done(
            db, appointment_id=appointment_id, correction_id=correction_id, by=member
        )
    )
    return JSONResponse(done)


class MarkIn(BaseModel):
    sha256: str = Field(max_length=64)
    name: str = Field(max_length=400)
    signature: str = Field(max_length=rules.MAX_SIGNATURE_BYTES * 2)


@router.post("/api/statements/{appointment_id}/versions/{number}/read-over")
async def sign_read_over(
    request: Request, appointment_id: int, number: int, body: MarkIn, member: VideoOfficer
) -> JSONResponse:
    """The person who read the statement to the witness signs, on the officer's screen."""
    db = app_db(request)
    mark = signing.Mark(body.name, body.signature)
    await _run(
        lambda: signing.sign_read_over(
            db,
            appointment_id=appointment_id,
            number=number,
            sha256=body.sha256,
            mark=mark,
            by=member,
        )
    )
    return JSONResponse({"signed": "read_over"})


class CountersignIn(BaseModel):
    """The name and number printed are the officer's own staff record's; officer_number is
    read only when the record has none yet, and then saved to it."""

    sha256: str = Field(max_length=64)
    officer_number: str = Field("", max_length=60)


@router.post(
    "/api/statements/{appointment_id}/versions/{number}/countersign",
    dependencies=[Depends(require_recent_sign_in())],
)
async def countersign(
    request: Request, appointment_id: int, number: int, body: CountersignIn, member: VideoOfficer
) -> JSONResponse:
    db, settings = app_db(request), app_settings(request)
    sha256 = await _run(
        lambda: signing.countersign(
            db,
            settings,
            appointment_id=appointment_id,
            number=number,
            sha256=body.sha256,
            officer_number=body.officer_number,
            by=member,
        )
    )
    await _tell_witness(request, appointment_id)
    return JSONResponse({"sealed_sha256": sha256})


# -- the statement's page for staff ---------------------------------------------------


@router.get("/api/statements/{appointment_id}/summary")
async def statement_summary(
    request: Request, appointment_id: int, member: CurrentStaff
) -> JSONResponse:
    """One line for the appointment's page: none, a draft, or the latest version's state."""
    db = app_db(request)
    return JSONResponse(
        await _run(lambda: overview.summary(db, appointment_id=appointment_id, by=member))
    )


@router.get("/statements/{appointment_id}")
async def statement_page(
    request: Request, appointment_id: int, member: CurrentStaff, again: int | None = None
) -> Response:
    return await _history_page(request, appointment_id, member, again=again)


async def _history_page(
    request: Request,
    appointment_id: int,
    member: CurrentStaff,
    *,
    again: int | None = None,
    errors: dict[str, str] | None = None,
    typed: dict[int, str] | None = None,
) -> Response:
    db, settings = app_db(request), app_settings(request)
    page = await _run(lambda: service.history(db, appointment_id=appointment_id, by=member))
    context = {
        **page,
        "zone": ZoneInfo(settings.timezone),
        "again": again,
        "errors": errors or {},
        "typed": typed or {},
    }
    return render(request, "statements/history.html", context, status_code=400 if errors else 200)


@router.post(
    "/statements/{appointment_id}/versions/{number}/pdf",
    # The step-up cannot keep the reason typed (it is not replayed): the page it returns
    # to asks for it again, on that version's form.
    dependencies=[
        Depends(require_recent_sign_in(back="/statements/{appointment_id}?again={number}"))
    ],
)
async def download_pdf(
    request: Request,
    appointment_id: int,
    number: int,
    member: CurrentStaff,
    why: str = Form("", max_length=500),
) -> Response:
    """The sealed PDF, with the reason for taking it recorded as a disclosure."""
    db = app_db(request)

    def download() -> tuple[str, bytes] | str:
        try:
            return signing.staff_download(
                db, appointment_id=appointment_id, number=number, why=why, by=member
            )
        except StatementError as missing_reason:
            return str(missing_reason)

    result = await _run(download)
    if isinstance(result, str):
        return await _history_page(
            request,
            appointment_id,
            member,
            errors={f"why-{number}": f"{result}, for example: file for the CPS"},
            typed={number: why},
        )
    name, pdf = result
    return _attachment(name, pdf)


# -- the witness's side ---------------------------------------------------------------


def _witness(request: Request) -> CallerView:
    """The verified witness, only while their appointment is open to join, as for the call.

    The same holds for their own copy: can_join lasts until the appointment's end, and once
    the officer completes the appointment the caller's link ends anyway (caller.service).
    """
    caller = verified_caller(request)
    if caller is None:
        raise HTTPException(401, "Open your link again to see your statement.")
    if not caller.can_join(utcnow()):
        raise HTTPException(403, "Your statement can be seen only during your appointment.")
    return caller


class _Attempts:
    """Sign attempts per witness link in the last minute, in this process: a witness signs
    once or twice, so more than this is a script, refused before any image is read."""

    def __init__(self, limit: int, window: float = 60.0) -> None:
        self.limit, self.window = limit, window
        self._seen: dict[int, deque[float]] = {}
        self._lock = threading.Lock()

    def allow(self, key: int) -> bool:
        now = time.monotonic()
        with self._lock:
            if len(self._seen) > 10_000:
                self._seen = {k: q for k, q in self._seen.items() if q[-1] > now - self.window}
            seen = self._seen.setdefault(key, deque())
            while seen and seen[0] <= now - self.window:
                seen.popleft()
            if len(seen) >= self.limit:
                return False
            seen.append(now)
            return True


def _sign_attempts(request: Request) -> _Attempts:
    state = request.app.state
    if not hasattr(state, "statement_sign_attempts"):
        state.statement_sign_attempts = _Attempts(SIGN_ATTEMPTS_PER_MINUTE)
    attempts: _Attempts = state.statement_sign_attempts
    return attempts


@router.get("/api/appointment/statement")
async def witness_state(request: Request) -> JSONResponse:
    """The first part as it stands, for a witness joining late or reloading."""
    caller = await run_in_threadpool(_witness, request)
    db = app_db(request)
    state: dict[str, Any] = await _run(
        lambda: witness.caller_state(db, caller=caller, audited=True)
    )
    return JSONResponse(state, headers={"cache-control": "no-store"})


class SignIn(MarkIn):
    version: int
    declared: bool = False


@router.post("/api/appointment/statement/sign")
async def witness_signs(request: Request, body: SignIn) -> JSONResponse:
    caller = await run_in_threadpool(_witness, request)
    if not _sign_attempts(request).allow(caller.link_id):
        raise HTTPException(
            429, "You have tried to sign many times in a minute. Wait a minute, then sign again."
        )
    db = app_db(request)
    mark = signing.Mark(body.name, body.signature)
    await _run(
        lambda: signing.sign_as_witness(
            db,
            caller=caller,
            number=body.version,
            sha256=body.sha256,
            declared=body.declared,
            mark=mark,
        )
    )
    appointment_id = witness.witness_appointment(caller)
    await tell(
        request.app,
        appointment_id,
        Role.OFFICER,
        {"type": "statement_signed", "version": body.version},
    )
    await _tell_witness(request, appointment_id)
    return JSONResponse({"signed": body.version})


@router.get("/appointment/statement/copy")
async def witness_copy(request: Request) -> Response:
    """The witness's own copy, only where their safe contact says a file is safe."""
    caller = await run_in_threadpool(_witness, request)
    db = app_db(request)
    name, pdf = await _run(lambda: signing.caller_copy(db, caller=caller))
    return _attachment(name, pdf)


def _attachment(name: str, pdf: bytes) -> Response:
    return Response(
        pdf,
        media_type="application/pdf",
        headers={
            "content-disposition": f'attachment; filename="{name}"',
            "cache-control": "no-store",
        },
    )
