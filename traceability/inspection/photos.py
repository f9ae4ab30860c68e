"""A field check's photo: only real JPEG or PNG images, re-encoded so no EXIF or GPS survives."""

from __future__ import annotations

import io
import warnings

from PIL import Image, ImageOps, UnidentifiedImageError

from traceability import audit
from traceability.db import Database
from traceability.errors import DomainError, Forbidden, NotFound
from traceability.inspection.field_checks import describe
from traceability.models import FieldCheck
from traceability.models.enums import Role
from traceability.permissions import Permission, Principal

MAX_PHOTO_BYTES = 5 * 1024 * 1024
MAX_PIXELS = 40_000_000  # a 40 MP phone photo; larger is a decompression bomb, not evidence
SIGNATURES = {b"\xff\xd8\xff": "image/jpeg", b"\x89PNG\r\n\x1a\n": "image/png"}
FORMATS = {"image/jpeg": "JPEG", "image/png": "PNG"}


class UnsupportedPhoto(DomainError):
    status = 415
    code = "unsupported_photo"
    message_vi = "Ảnh phải là tệp JPEG hoặc PNG hợp lệ."
    message_en = "The photo must be a valid JPEG or PNG image."


class PhotoTooLarge(DomainError):
    status = 413
    code = "photo_too_large"
    message_vi = "Ảnh quá lớn (tối đa 5 MB)."
    message_en = "The photo is too large (5 MB at most)."


def sniff(data: bytes) -> str:
    """The image type its first bytes declare, whatever the file name or header claimed."""
    for signature, mimetype in SIGNATURES.items():
        if data.startswith(signature):
            return mimetype
    raise UnsupportedPhoto("the file is neither JPEG nor PNG")


def clean_image(data: bytes) -> tuple[bytes, str]:
    """Decode fully and re-encode, keeping only pixels (orientation applied, metadata dropped)."""
    if len(data) > MAX_PHOTO_BYTES:
        raise PhotoTooLarge(f"{len(data)} bytes")
    mimetype = sniff(data)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data)) as probe:
                if probe.format != FORMATS[mimetype]:
                    raise UnsupportedPhoto("the content does not match its signature")
                if probe.width * probe.height > MAX_PIXELS:
                    raise UnsupportedPhoto("the image has too many pixels")
                probe.load()
                image = ImageOps.exif_transpose(probe)
    except (
        UnidentifiedImageError,
        OSError,
        ValueError,
        SyntaxError,
        Image.DecompressionBombError,
        Image.DecompressionBombWarning,
    ) as exc:
        raise UnsupportedPhoto(f"the image cannot be decoded: {type(exc).__name__}") from None
    out = io.BytesIO()
    if mimetype == "image/jpeg":
        if image.mode not in ("RGB", "L"):
            image = image.convert("RGB")
        image.save(out, format="JPEG", quality=88, optimize=True)
    else:
        if image.mode not in ("RGB", "RGBA", "L", "LA", "P", "1"):
            image = image.convert("RGBA")
        image.save(out, format="PNG", optimize=True)
    return out.getvalue(), mimetype


def attach_photo(db: Database, principal: Principal, check_id: int, data: bytes) -> dict:
    """Store (or replace) the photo of a check recorded by the caller; admins may for anyone."""
    principal.require(Permission.FIELD_CHECK_RECORD)
    cleaned, mimetype = clean_image(data)
    with db.transaction() as session:
        check = session.get(FieldCheck, check_id, with_for_update=True)
        if check is None:
            raise NotFound("field check not found")
        if check.inspector_id != principal.user_id and principal.role != Role.ADMIN:
            raise Forbidden("only the inspector who recorded the check may add its photo")
        replaced = check.photo_type is not None
        check.photo, check.photo_type = cleaned, mimetype
        audit.record(
            session,
            principal,
            "field_check.photo",
            "field_check",
            check.id,
            {"photo": {"old": "replaced" if replaced else None, "new": f"{len(cleaned)} bytes"}},
        )
        return describe(check)


def read_photo(db: Database, principal: Principal, check_id: int) -> tuple[bytes, str]:
    principal.require(Permission.CYLINDER_HISTORY)
    with db.read() as session:
        check = session.get(FieldCheck, check_id)
        if check is None or check.photo is None or check.photo_type is None:
            raise NotFound("no photo for this field check")
        return check.photo, check.photo_type
