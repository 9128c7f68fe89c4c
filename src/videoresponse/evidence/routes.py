"""tus uploads during a call, and the officer's JSON for the call's evidence panel.

The caller (their link cookie, only in the call's window) and the appointment's officer
or a supervisor (staff session) may upload; an upload belongs to whoever created it.
Bodies are streamed chunk by chunk into staging: no file is ever held whole in memory.
"""

from __future__ import annotations

import asyncio
import logging
import time
from dataclasses import dataclass

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import JSONResponse, PlainTextResponse, Response
from starlette.concurrency import run_in_threadpool
from starlette.requests import ClientDisconnect

from videoresponse.calls.pages import verified_caller
from videoresponse.calls.protocol import Role as CallRole
from videoresponse.calls.routes import tell
from videoresponse.core.audit import Actor
from videoresponse.core.auth import service as accounts
from videoresponse.core.auth.deps import staff_cookie_name
from videoresponse.core.auth.rules import SessionLimits
from videoresponse.core.auth.service import StaffMember
from videoresponse.core.db import utcnow
from videoresponse.core.web import app_db, app_settings
from videoresponse.evidence import content, service, tus, uploads
from videoresponse.evidence.keys import MasterKeyError
from videoresponse.evidence.rules import EvidenceRuleError, ItemState, TooManyArriving
from videoresponse.evidence.service import HEAD_BYTES, Forbidden, NotFound, Vault
from videoresponse.evidence.staging import (
    Appender,
    ChecksumMismatch,
    OffsetMismatch,
    TooLarge,
    UploadNotFound,
)
from videoresponse.evidence.tus import TusError

log = logging.getLogger(__name__)
router = APIRouter(tags=["evidence"])
# Without a checksum for the whole request, progress is made durable every few megabytes:
# a server stopped mid-request then loses at most this much of what the sender sent.
COMMIT_EVERY = 4 * 1024 * 1024
# Bytes gathered on the event loop before one write in a thread.
WRITE_BATCH = 1024 * 1024
# The slowest a request may send on average once it has had RATE_GRACE_SECONDS.
MIN_RATE = 8 * 1024
RATE_GRACE_SECONDS = 60.0
NOT_READY = "Files cannot be received just now. Please tell the officer on the call."
GONE = "This upload has stopped. Choose the file again to send it."


def vault_of(request: Request) -> Vault:
    """The process's vault, made at first use (the master key is read once)."""
    vault: Vault | None = getattr(request.app.state, "evidence_vault", None)
    if vault is None:
        vault = Vault.from_settings(app_settings(request))
        request.app.state.evidence_vault = vault
    return vault


@dataclass(frozen=True)
class Uploader:
    actor: Actor
    member: StaffMember | None
    caller_appointment: int | None


def _uploader(request: Request) -> Uploader | None:
    """A signed-in staff member, or the appointment's own caller while the call is open."""
    settings, db = app_settings(request), app_db(request)
    token = request.cookies.get(staff_cookie_name(settings.cookie_secure))
    if token:
        limits = SessionLimits(settings.session_idle, settings.session_absolute)
        member = accounts.current_member(db, token=token, limits=limits)
        if member is not None:
            return Uploader(member, member, None)
    caller = verified_caller(request)
    if caller is not None and caller.purpose == "join" and caller.can_join(utcnow()):
        return Uploader(caller.actor, None, caller.appointment_id)
    return None


def _may_upload_to(request: Request, who: Uploader, appointment_id: int) -> bool:
    if who.member is None:
        return who.caller_appointment == appointment_id
    try:
        service.staff_appointment(app_db(request), appointment_id, who.member)
    except (NotFound, Forbidden):
        return False
    return True


def _answer(status: int, headers: dict[str, str] | None = None, text: str = "") -> Response:
    everything = {**tus.base_headers(), **(headers or {})}
    if text:
        return PlainTextResponse(text, status_code=status, headers=everything)
    return Response(status_code=status, headers=everything)


async def _who_owns(request: Request, upload_id: str) -> tuple[Uploader, uploads.Upload]:
    who = await run_in_threadpool(_uploader, request)
    if who is None:
        raise TusError(403, "Your session has ended. Go back to the call page to send files.")
    try:
        upload = await run_in_threadpool(uploads.find_upload, app_db(request), upload_id, who.actor)
    except NotFound:
        raise TusError(404, GONE) from None
    if not _may_upload_to(request, who, upload.appointment_id):
        raise TusError(403, "Files can be sent only during the call.")
    return who, upload


@router.options("/tus/appointments/{appointment_id}", include_in_schema=False)
@router.options("/tus/uploads/{upload_id}", include_in_schema=False)
def tus_options(request: Request) -> Response:
    return _answer(204, tus.options_headers(app_settings(request).evidence_max_file_bytes))


@router.post("/tus/appointments/{appointment_id}", include_in_schema=False)
async def create_upload(request: Request, appointment_id: int) -> Response:
    """tus creation: Upload-Length is required; Upload-Metadata carries name, type, hash."""
    try:
        tus.check_version(request.headers)
        length = tus.upload_length(request.headers)
        metadata = tus.parse_metadata(request.headers.get("upload-metadata"))
        who = await run_in_threadpool(_uploader, request)
        if who is None or not _may_upload_to(request, who, appointment_id):
            raise TusError(403, "Files can be sent only during the call.")
        try:
            upload = await run_in_threadpool(
                lambda: uploads.start_upload(
                    app_db(request),
                    app_settings(request),
                    vault_of(request),
                    appointment_id=appointment_id,
                    by=who.actor,
                    length=length,
                    filename=metadata.filename,
                    declared_type=metadata.filetype,
                    client_sha256=metadata.sha256,
                    during_call=who.member is None,
                )
            )
        except TooManyArriving as error:
            raise TusError(429, str(error)) from None
        except EvidenceRuleError as error:
            raise TusError(413, str(error)) from None
        except NotFound:
            raise TusError(404, "This appointment has ended.") from None
        except MasterKeyError as error:
            log.error("evidence upload refused: %s", error)
            raise TusError(503, NOT_READY) from None
    except TusError as error:
        return _answer(error.status, text=error.message)
    await _tell_officer(request, who, upload.upload_id, appointment_id, 0)
    return _answer(201, {"Location": f"/tus/uploads/{upload.upload_id}", "Upload-Offset": "0"})


@router.head("/tus/uploads/{upload_id}", include_in_schema=False)
async def upload_offset(request: Request, upload_id: str) -> Response:
    """Where to resume. Only reports: it never changes an upload (see append for the retry
    of a completion that a stopped server left unfinished)."""
    try:
        tus.check_version(request.headers)
        _, upload = await _who_owns(request, upload_id)
        if upload.state in {ItemState.REFUSED, ItemState.WITHDRAWN}:
            raise TusError(410, GONE)
        offset = upload.length
        if upload.state is ItemState.RECEIVING:
            offset = await run_in_threadpool(vault_of(request).staging.offset, upload_id)
    except TusError as error:
        return _answer(error.status)
    return _answer(200, {"Upload-Offset": str(offset), "Upload-Length": str(upload.length)})


@router.patch("/tus/uploads/{upload_id}", include_in_schema=False)
async def append(request: Request, upload_id: str) -> Response:
    """Appends; the request that delivers the last byte completes the upload. A PATCH of
    no bytes at offset == length completes one whose bytes are all in but which is not yet
    recorded (the server stopped in between): our browser code sends it after a HEAD
    reports the whole length while the file has not been shown as arrived."""
    try:
        tus.check_version(request.headers)
        tus.check_patch_content_type(request.headers)
        offset = tus.upload_offset(request.headers)
        checksum = tus.parse_checksum(request.headers.get("upload-checksum"))
        who, upload = await _who_owns(request, upload_id)
        if upload.state not in {ItemState.RECEIVING, ItemState.CHECKING}:
            raise TusError(410, upload.refusal or GONE)
        stalled = False
        if offset == upload.length:
            if upload.state is ItemState.RECEIVING:
                await _all_bytes_in(request, upload)
            new_offset = upload.length
        else:
            new_offset, stalled = await _receive(request, who, upload, offset, checksum)
        if new_offset == upload.length:
            await _complete(request, who, upload)
        else:
            await _tell_officer(request, who, upload_id, upload.appointment_id, new_offset)
        if stalled and new_offset < upload.length:
            raise TusError(
                408,
                "The connection stalled, so it was closed. What arrived is kept: "
                "send the file again to carry on.",
            )
    except TusError as error:
        return _answer(error.status, text=error.message)
    return _answer(204, {"Upload-Offset": str(new_offset)})


async def _all_bytes_in(request: Request, upload: uploads.Upload) -> None:
    """A PATCH of no bytes at the full length is only a completion retry once all are in."""
    try:
        staged = await run_in_threadpool(vault_of(request).staging.offset, upload.upload_id)
    except UploadNotFound:
        raise TusError(404, GONE) from None
    if staged != upload.length:
        raise TusError(409, "This part does not follow on from what arrived. Trying again.")


async def _receive(
    request: Request, who: Uploader, upload: uploads.Upload, offset: int, checksum: bytes | None
) -> tuple[int, bool]:
    """Stream this request's bytes into staging; (the new offset, whether it stalled).

    A lost connection keeps what arrived (unless a checksum was promised for the whole
    part); the content's type is decided from its first 8 KB as soon as they are in.
    """
    vault = vault_of(request)
    need_head = not upload.identified
    head = b""
    if need_head and offset > 0:
        head = await run_in_threadpool(vault.staging.head, upload.upload_id, HEAD_BYTES)
    head_size = min(HEAD_BYTES, upload.length)
    refused = ""
    cut_off = stalled = False
    try:
        appender = await run_in_threadpool(vault.staging.appender, upload.upload_id, offset)
    except OffsetMismatch:
        raise TusError(
            409, "This part does not follow on from what arrived. Trying again."
        ) from None
    except UploadNotFound:
        raise TusError(404, GONE) from None
    committed = offset
    pending = bytearray()
    started = time.monotonic()
    with appender:
        chunks = request.stream().__aiter__()
        while True:
            try:
                chunk = await asyncio.wait_for(chunks.__anext__(), tus.IDLE_SECONDS)
            except StopAsyncIteration:
                break
            except TimeoutError:
                cut_off = stalled = True
                break
            except ClientDisconnect:
                cut_off = True
                break
            pending += chunk
            if len(pending) >= WRITE_BATCH:
                await _write(appender, pending)
                if (
                    checksum is None
                    and not need_head
                    and appender.offset - committed >= COMMIT_EVERY
                ):
                    committed = await run_in_threadpool(appender.commit)
            if _too_slow(appender.offset + len(pending) - offset, started):
                cut_off = stalled = True
                break
            if need_head and len(head) < head_size:
                head += chunk[: head_size - len(head)]
                if len(head) >= head_size:
                    try:
                        found = content.identify(head)
                    except content.Refused as refusal:
                        refused = str(refusal)
                        break
                    await run_in_threadpool(
                        uploads.mark_identified, app_db(request), upload.upload_id, who.actor, found
                    )
                    need_head = False
        if pending and not refused:
            await _write(appender, pending)
        if refused:
            new_offset = offset  # leaving without commit: none of it is kept
        elif cut_off and checksum is not None:
            new_offset = committed
        else:
            try:
                new_offset = await run_in_threadpool(appender.commit, None if cut_off else checksum)
            except ChecksumMismatch:
                raise TusError(
                    tus.CHECKSUM_MISMATCH, "This part arrived damaged. Sending it again."
                ) from None
    if refused:
        await run_in_threadpool(
            uploads.refuse, app_db(request), vault, upload.upload_id, who.actor, refused
        )
        await _tell_officer(request, who, upload.upload_id, upload.appointment_id)
        raise TusError(415, refused)
    return new_offset, stalled


async def _write(appender: Appender, pending: bytearray) -> None:
    """Sealing and writing run in the thread pool, a batch at a time: the event loop only
    gathers bytes, so one upload never holds up the others (or the calls)."""
    batch = bytes(pending)
    pending.clear()
    try:
        await run_in_threadpool(appender.write, batch)
    except TooLarge:
        raise TusError(413, "More was sent than the file's size. Choose the file again.") from None


def _too_slow(received: int, started: float) -> bool:
    """A request that trickles (slower than MIN_RATE after its grace time) is closed, so a
    sender cannot hold a worker and the upload's lock for ever; what arrived is kept."""
    elapsed = time.monotonic() - started
    return elapsed > RATE_GRACE_SECONDS and received < MIN_RATE * elapsed


async def _tell_officer(
    request: Request,
    who: Uploader,
    upload_id: str,
    appointment_id: int,
    received: int | None = None,
) -> None:
    """The officer's panel follows an upload: arriving (with bytes so far), refused, stopped."""
    item = await run_in_threadpool(uploads.item_summary, app_db(request), upload_id, who.actor)
    if received is not None:
        item["received"] = received
    try:
        await tell(
            request.app, appointment_id, CallRole.OFFICER, {"type": "evidence", "item": item}
        )
    except Exception:
        # The upload itself succeeded: a missed panel update must not fail it.
        log.warning("could not tell the officer about evidence item %s", item["id"], exc_info=True)


async def _complete(request: Request, who: Uploader, upload: uploads.Upload) -> None:
    """Completes the upload unless another request has it (then this one just reports)."""
    try:
        done = await run_in_threadpool(
            uploads.complete,
            app_db(request),
            app_settings(request),
            vault_of(request),
            upload.upload_id,
            who.actor,
        )
    except content.Refused as refusal:
        await _tell_officer(request, who, upload.upload_id, upload.appointment_id)
        raise TusError(422, str(refusal)) from None
    if done is not None:
        await _tell_officer(request, who, upload.upload_id, upload.appointment_id)


@router.delete("/tus/uploads/{upload_id}", include_in_schema=False)
async def terminate(request: Request, upload_id: str) -> Response:
    """tus termination: the sender stops an upload; nothing of it is kept."""
    try:
        tus.check_version(request.headers)
        who, upload = await _who_owns(request, upload_id)
        if upload.state is not ItemState.RECEIVING:
            raise TusError(410, "This file has already arrived, so it cannot be stopped now.")
        await run_in_threadpool(
            uploads.withdraw, app_db(request), vault_of(request), upload_id, who.actor
        )
        await _tell_officer(request, who, upload_id, upload.appointment_id)
    except TusError as error:
        return _answer(error.status, text=error.message)
    except EvidenceRuleError as error:
        return _answer(409, text=str(error))
    return _answer(204)


@router.get("/tus/appointments/{appointment_id}/unfinished", include_in_schema=False)
async def unfinished(request: Request, appointment_id: int) -> JSONResponse:
    """This person's uploads still arriving: a reloaded page matches a file chosen again by
    name and size, and resumes it at its URL (nothing is kept in the browser)."""
    who = await run_in_threadpool(_uploader, request)
    if who is None or not _may_upload_to(request, who, appointment_id):
        raise HTTPException(403, "Files can be sent only during the call.")
    found = await run_in_threadpool(
        uploads.unfinished_uploads, app_db(request), vault_of(request), appointment_id, who.actor
    )
    listed = [
        {"name": u["name"], "length": u["length"], "offset": u["offset"], "url": _url(u)}
        for u in found
    ]
    return JSONResponse({"uploads": listed})


def _url(upload: dict[str, object]) -> str:
    return f"/tus/uploads/{upload['upload_id']}"
