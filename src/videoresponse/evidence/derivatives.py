"""Copies made for viewing and disclosure: a NEW item, labelled, the original untouched.

A photo's EXIF can hold where it was taken (a refuge's address, in effect). The copy is
the pixels re-encoded with no metadata at all; it is sealed and hashed like any item,
records which item it came from, and both items' continuity records say it was made.
"""

from __future__ import annotations

import io
import secrets
from collections.abc import Iterator
from typing import Any

from PIL import Image, ImageOps

from videoresponse.core.auth.service import StaffMember
from videoresponse.core.db import Database, utcnow
from videoresponse.evidence import rules, service
from videoresponse.evidence.models import EvidenceItem
from videoresponse.evidence.rules import ContinuityEvent, EvidenceRuleError, ItemState, Source
from videoresponse.evidence.service import Vault
from videoresponse.evidence.store import read_plaintext, write_object

LABEL = "Copy without location data"
# The largest photo file copied here: a phone's photo is a few megabytes, a RAW-sized
# PNG perhaps tens; anything larger is decoded elsewhere, not in a web worker's memory.
MAX_COPY_BYTES = 64 * 1024 * 1024
TOO_BIG_TO_COPY = (
    f"This photo is larger than {MAX_COPY_BYTES // (1024 * 1024)} MB, too large to copy "
    "here. Download the original and make the copy with the force's imaging tools."
)
# Formats Pillow writes back without carrying metadata over unless asked to.
_OUTPUT = {"image/jpeg": ("JPEG", "jpg", "image/jpeg"), "image/png": ("PNG", "png", "image/png")}


def _read_bounded(chunks: Iterator[bytes]) -> bytes:
    held = io.BytesIO()
    for chunk in chunks:
        if held.tell() + len(chunk) > MAX_COPY_BYTES:
            raise EvidenceRuleError(TOO_BIG_TO_COPY)
        held.write(chunk)
    return held.getvalue()


def strip_metadata(original: bytes, media_type: str, max_pixels: int) -> tuple[bytes, str, str]:
    """The image's pixels only, upright as it was shown: (bytes, extension, media type)."""
    with Image.open(io.BytesIO(original)) as image:
        width, height = image.size
        if width * height > max_pixels:
            raise Image.DecompressionBombError(f"{width} x {height} pixels")
        # Orientation lives in EXIF: apply it to the pixels before the EXIF goes.
        upright = ImageOps.exif_transpose(image)
        if upright.mode not in {"RGB", "RGBA", "L", "LA"}:
            upright = upright.convert("RGBA")
        # A copy with its metadata cleared, and saved without exif=/icc_profile=/pnginfo=:
        # nothing of the file's metadata (info, EXIF, XMP) comes along, and the pixels are
        # not held twice (as raw bytes and again as an image).
        pixels = upright.copy()
        pixels.info.clear()
        pixels.getexif().clear()
    form, extension, out_type = _OUTPUT.get(media_type, ("PNG", "png", "image/png"))
    if form == "JPEG" and pixels.mode not in {"RGB", "L"}:
        pixels = pixels.convert("RGB")
    out = io.BytesIO()
    pixels.save(out, form, **({"quality": 95} if form == "JPEG" else {}))
    return out.getvalue(), extension, out_type


def copy_without_location(
    db: Database, settings: Any, vault: Vault, *, item_id: int, by: StaffMember, why: str
) -> dict[str, Any]:
    """Make the labelled copy of a photo; returns the new item's summary."""
    cleaned = rules.justification(why)
    record = service.item_record(db, item_id, by)
    if not str(record.item["media_type"]).startswith("image/"):
        raise EvidenceRuleError("Only photos can be copied without location data.")
    if record.item["state"] == ItemState.REFUSED.value:
        raise EvidenceRuleError("Nothing of a refused upload was kept.")
    with db.sessions() as session:
        original_key = session.get_one(EvidenceItem, item_id).storage_key
    # Decoding needs the file whole, so only a bounded one is read (the pixel limit bounds
    # the decoded picture, this bounds the file).
    if int(record.item["size"]) > MAX_COPY_BYTES:
        raise EvidenceRuleError(TOO_BIG_TO_COPY)
    original = _read_bounded(read_plaintext(vault.store, original_key, vault.keyring))
    try:
        copy, extension, media_type = strip_metadata(
            original, str(record.item["media_type"]), settings.evidence_max_pixels
        )
    except (OSError, ValueError, Image.DecompressionBombError):
        raise EvidenceRuleError("This photo's format cannot be copied here.") from None
    key = secrets.token_hex(20)
    finished = write_object(vault.store, key, iter([copy]), vault.keyring)
    with db.transaction() as session:
        source = session.get_one(EvidenceItem, item_id)
        item = EvidenceItem(
            storage_key=key,
            appointment_id=source.appointment_id,
            incident_id=source.incident_id,
            uploaded_by=by.actor,
            staff_id=by.id,
            source=Source.DERIVATIVE.value,
            derivative_of=source.id,
            label=LABEL,
            original_name=f"{LABEL.lower().replace(' ', '-')}-of-item-{source.id}.{extension}",
            declared_type=media_type,
            kind=extension if extension != "jpg" else "jpeg",
            media_type=media_type,
            extension=extension,
            length=finished.size,
            size=finished.size,
            sha256=finished.sha256,
            key_id=vault.keyring.key_id,
            scan_state=source.scan_state,
            state=ItemState.ACCEPTED.value,
            decided_by=by.id,
            decided_at=utcnow(),
            decision_reason=f"{LABEL} of item {source.id}",
            created_at=utcnow(),
            received_at=utcnow(),
        )
        session.add(item)
        session.flush()
        service.record_event(
            session, item, ContinuityEvent.ARRIVED, by.actor, cleaned, derivative_of=source.id
        )
        service.record_event(session, item, ContinuityEvent.HASHED, "system", sha256=item.sha256)
        service.record_event(
            session,
            source,
            ContinuityEvent.DERIVATIVE_MADE,
            by.actor,
            cleaned,
            copy=item.id,
            label=LABEL,
            copy_sha256=item.sha256,
        )
        return service.summary(item)
