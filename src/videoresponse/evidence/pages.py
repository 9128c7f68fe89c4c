"""Staff pages: a case's evidence, one item with its continuity, justified access; and
the JSON behind the officer's evidence panel in the call (decisions, still frames).

Opening an original needs a reason and is written to the continuity record and the audit
log before a byte is sent. Originals are sent as attachments, never shown inline, except
raster photos viewed in the browser (they cannot run code; nosniff and the CSP hold).
"""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Body, Depends, Form, HTTPException, Request
from fastapi.responses import JSONResponse, RedirectResponse, Response, StreamingResponse
from starlette.concurrency import run_in_threadpool

from videoresponse.calls.protocol import Role as CallRole
from videoresponse.calls.routes import tell
from videoresponse.core.auth.deps import CurrentStaff, VideoOfficer, require_recent_sign_in
from videoresponse.core.auth.service import StaffMember
from videoresponse.core.db import utcnow
from videoresponse.core.web import app_db, app_settings, render
from videoresponse.evidence import content, derivatives, reading, rules, service, web_export
from videoresponse.evidence.routes import vault_of
from videoresponse.evidence.rules import EvidenceRuleError
from videoresponse.evidence.service import Forbidden, NotFound

router = APIRouter(include_in_schema=False)
# A still frame is one picture from a video: a few megabytes at most.
MAX_STILL_BYTES = 20 * 1024 * 1024
INLINE_TYPES = frozenset({"image/jpeg", "image/png", "image/gif", "image/webp"})
# Opening an original or copying it for disclosure needs a recent password (ASVS 7.5.3).
_STEP_UP = Depends(require_recent_sign_in(back="/evidence/{item_id}"))


def _refuse(error: Exception) -> HTTPException:
    if isinstance(error, Forbidden):
        return HTTPException(403, "This evidence belongs to an appointment that is not yours.")
    return HTTPException(404, "There is no such evidence item.")


def _item_page(
    request: Request,
    item_id: int,
    member: StaffMember,
    errors: dict[str, str] | None = None,
    form: dict[str, str] | None = None,
    status_code: int = 200,
) -> Response:
    db = app_db(request)
    try:
        record = service.item_record(db, item_id, member, opened_page=True)
    except (NotFound, Forbidden) as error:
        raise _refuse(error) from None
    return render(
        request,
        "evidence/item.html",
        {
            "record": record,
            "zone": ZoneInfo(app_settings(request).timezone),
            "errors": errors or {},
            "form": form or {},
            "manifests": web_export.manifest_hashes(db, record.incident_id),
            "copied": request.query_params.get("copied") == "1",
            "decided": request.query_params.get("decided") == "1",
            "events": {
                e.value: e.value.replace("_", " ").capitalize() for e in rules.ContinuityEvent
            },
        },
        status_code=status_code,
    )


@router.get("/cases/{incident_id}/evidence")
def case_evidence(request: Request, incident_id: int, member: CurrentStaff) -> Response:
    """Every item from the case's appointments that this member may see."""
    return _case_page(request, incident_id, member)


def _case_page(
    request: Request,
    incident_id: int,
    member: StaffMember,
    errors: dict[str, str] | None = None,
    form: dict[str, str] | None = None,
    status_code: int = 200,
) -> Response:
    db = app_db(request)
    try:
        items = service.incident_items(db, incident_id, member)
    except Forbidden as error:
        raise _refuse(error) from None
    appointments = service.case_appointments(db, incident_id, member)
    # Files go to the appointment under way or last held (one starting within the hour
    # counts: the officer is about to hold it), not the case's first.
    soon = utcnow() + timedelta(hours=1)
    held = [a for a in appointments if a["starts_at"] <= soon] or appointments
    context = {
        "items": items,
        "incident_id": incident_id,
        "urn": service.incident_urn(db, incident_id),
        "appointments": appointments,
        "default_appointment": held[-1]["id"] if held else None,
        # Officers may not open the incident page: their own latest call stands for it.
        "own_call": next((a["id"] for a in reversed(held) if a["officer_id"] == member.id), None),
        "exports": web_export.past_exports(db, incident_id),
        "zone": ZoneInfo(app_settings(request).timezone),
        "errors": errors or {},
        "form": form or {},
    }
    return render(request, "evidence/case_evidence.html", context, status_code=status_code)


@router.post(
    "/cases/{incident_id}/evidence/export",
    dependencies=[Depends(require_recent_sign_in(back="/cases/{incident_id}/evidence"))],
)
async def export_case(
    request: Request,
    incident_id: int,
    member: CurrentStaff,
    why: Annotated[str, Form()] = "",
    recipient: Annotated[str, Form()] = "",
) -> Response:
    """The case bundle (web_export.py): streamed as it is made; a disclosure, recorded."""
    form = {"why": why, "recipient": recipient}
    if errors := rules.export_form_errors(why, recipient):
        return await run_in_threadpool(_case_page, request, incident_id, member, errors, form, 400)
    try:
        bundle, body = await web_export.start(
            app_db(request), app_settings(request), incident_id, member, why, recipient
        )
    except (EvidenceRuleError, web_export.ExportFailed) as failed:
        error = failed.error if isinstance(failed, web_export.ExportFailed) else failed
        if isinstance(error, (Forbidden, NotFound)):
            raise HTTPException(
                403, "Only a supervisor or the case's own officers can export its evidence."
            ) from None
        if not isinstance(error, EvidenceRuleError):
            raise error from None
        return await run_in_threadpool(
            _case_page, request, incident_id, member, {"why": str(error)}, form, 400
        )
    name = f"evidence-case-{incident_id}-bundle-{bundle.bundle_id}.zip"
    return StreamingResponse(
        body,
        media_type="application/zip",
        headers={
            "Content-Disposition": f'attachment; filename="{name}"',
            "X-Content-Type-Options": "nosniff",
            "Cache-Control": "no-store",
            "X-Manifest-SHA256": bundle.manifest_sha256,
        },
    )


@router.get("/evidence/{item_id}")
def item_page(request: Request, item_id: int, member: CurrentStaff) -> Response:
    return _item_page(request, item_id, member)


@router.post("/evidence/{item_id}/open", dependencies=[_STEP_UP])
def open_item(
    request: Request,
    item_id: int,
    member: CurrentStaff,
    why: Annotated[str, Form()] = "",
    action: Annotated[str, Form()] = "download",
) -> Response:
    """View or download the original, as it arrived: the reason is recorded first."""
    try:
        opened = reading.open_original(
            app_db(request),
            vault_of(request),
            item_id=item_id,
            by=member,
            why=why,
            download=action != "view",
        )
    except EvidenceRuleError as error:
        return _item_page(request, item_id, member, {"why": str(error)}, {"why": why}, 400)
    except (NotFound, Forbidden) as error:
        raise _refuse(error) from None
    inline = action == "view" and opened.media_type in INLINE_TYPES
    disposition = "inline" if inline else "attachment"
    return StreamingResponse(
        opened.chunks,
        media_type=opened.media_type if inline else "application/octet-stream",
        headers={
            "Content-Disposition": f'{disposition}; filename="{opened.name}"',
            "Content-Length": str(opened.size),
            "X-Content-Type-Options": "nosniff",
            "Cache-Control": "no-store",
        },
    )


@router.post("/evidence/{item_id}/decision")
def decide(
    request: Request,
    item_id: int,
    member: CurrentStaff,
    decision: Annotated[str, Form()] = "",
    reason: Annotated[str, Form()] = "",
) -> Response:
    try:
        service.decide(
            app_db(request), item_id=item_id, accept=decision == "accept", reason=reason, by=member
        )
    except EvidenceRuleError as error:
        form = {"reason": reason}
        return _item_page(request, item_id, member, {"reason": str(error)}, form, 400)
    except (NotFound, Forbidden) as error:
        raise _refuse(error) from None
    return RedirectResponse(f"/evidence/{item_id}?decided=1", status_code=303)


@router.post("/evidence/{item_id}/copy-without-location", dependencies=[_STEP_UP])
def copy_without_location(
    request: Request, item_id: int, member: CurrentStaff, why: Annotated[str, Form()] = ""
) -> Response:
    try:
        copy = derivatives.copy_without_location(
            app_db(request),
            app_settings(request),
            vault_of(request),
            item_id=item_id,
            by=member,
            why=why,
        )
    except EvidenceRuleError as error:
        return _item_page(
            request, item_id, member, {"copy_why": str(error)}, {"copy_why": why}, 400
        )
    except (NotFound, Forbidden) as error:
        raise _refuse(error) from None
    return RedirectResponse(f"/evidence/{copy['id']}?copied=1", status_code=303)


# The officer's panel in the call --------------------------------------------------------------


def _staff_errors(error: Exception) -> HTTPException:
    if isinstance(error, Forbidden):
        return HTTPException(403, "This is not one of your appointments.")
    if isinstance(error, NotFound):
        return HTTPException(404, "There is no such evidence item.")
    return HTTPException(400, str(error))


@router.get("/api/appointments/{appointment_id}/evidence")
def appointment_evidence(
    request: Request, appointment_id: int, member: VideoOfficer
) -> JSONResponse:
    """The call's evidence items so far, for the officer's panel."""
    try:
        items = service.appointment_items(app_db(request), appointment_id, member)
    except (NotFound, Forbidden) as error:
        raise _staff_errors(error) from None
    return JSONResponse({"items": items})


@router.post("/api/evidence/{item_id}/decision")
def decide_in_call(
    request: Request,
    item_id: int,
    member: VideoOfficer,
    accept: Annotated[bool, Body()],
    reason: Annotated[str, Body()] = "",
) -> JSONResponse:
    """Accept or decline an item (declining needs a reason)."""
    try:
        item = service.decide(
            app_db(request), item_id=item_id, accept=accept, reason=reason, by=member
        )
    except (NotFound, Forbidden, EvidenceRuleError) as error:
        raise _staff_errors(error) from None
    return JSONResponse({"item": item})


@router.post("/api/appointments/{appointment_id}/evidence/still-frames")
async def still_frame(request: Request, appointment_id: int, member: VideoOfficer) -> JSONResponse:
    """A PNG or JPEG of the caller's video, sent as the request body."""
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > MAX_STILL_BYTES:
            raise HTTPException(413, "This picture is too big for a still frame.")
    try:
        item = await run_in_threadpool(
            lambda: service.capture_still(
                app_db(request),
                app_settings(request),
                vault_of(request),
                appointment_id=appointment_id,
                image=bytes(body),
                by=member,
            )
        )
    except content.Refused as refusal:
        raise HTTPException(422, str(refusal)) from None
    except (NotFound, Forbidden) as error:
        raise _staff_errors(error) from None
    await tell(
        request.app,
        appointment_id,
        CallRole.CALLER,
        {"type": "evidence_still", "text": "A picture was taken from the video."},
    )
    return JSONResponse({"item": item}, status_code=201)
