"""Field check photos: real JPEG/PNG only, at most 5 MB, stored without EXIF/GPS or text chunks."""

from __future__ import annotations

import io
import os
import uuid

import pytest
from PIL import Image

from tests.inspection import helpers as h
from traceability.inspection.photos import MAX_PHOTO_BYTES


@pytest.fixture
def check_id(api, world) -> int:
    body = {
        "entry_uuid": str(uuid.uuid4()),
        "cylinder_id": world.cyl_a.id,
        "checked_at": h.at(0).isoformat(),
        "place": "Kho hàng Phước Tân",
        "result": "compliant",
    }
    response = api.as_(world.inspector).post("/field-checks", json=body)
    assert response.status_code == 201
    return int(response.json["id"])


def _upload(api, user, check_id, data: bytes, name: str = "photo.jpg"):
    """Multipart built in memory (the test client spools large bodies to an unclosed file)."""
    boundary = "lpgtestboundary7c1e"
    body = (
        (
            f'--{boundary}\r\nContent-Disposition: form-data; name="photo"; filename="{name}"\r\n'
            "Content-Type: application/octet-stream\r\n\r\n"
        ).encode()
        + data
        + f"\r\n--{boundary}--\r\n".encode()
    )
    return api.as_(user).post(
        f"/field-checks/{check_id}/photo",
        data=body,
        content_type=f"multipart/form-data; boundary={boundary}",
    )


def _jpeg_with_gps() -> bytes:
    exif = Image.Exif()
    exif[0x010F] = "PhoneMaker"  # Make
    exif[0x8825] = {1: "N", 2: (10.0, 57.0, 25.0), 3: "E", 4: (106.0, 50.0, 32.0)}  # GPS IFD
    return h.image_bytes("JPEG", exif=exif.tobytes())


def test_jpeg_is_stored_without_exif_or_gps(api, world, check_id):
    original = _jpeg_with_gps()
    assert b"Exif" in original and b"PhoneMaker" in original
    response = _upload(api, world.inspector, check_id, original)
    assert response.status_code == 200, response.json
    assert response.json["has_photo"] is True
    stored = api.as_(world.inspector).get(f"/field-checks/{check_id}/photo")
    assert stored.status_code == 200 and stored.mimetype == "image/jpeg"
    assert b"Exif" not in stored.data and b"PhoneMaker" not in stored.data
    with Image.open(io.BytesIO(stored.data)) as image:
        assert image.size == (64, 48) and not image.getexif()


def test_png_text_and_exif_chunks_are_stripped(api, world, check_id):
    from PIL import PngImagePlugin

    info = PngImagePlugin.PngInfo()
    info.add_text("Location", "GPS 10.9571 106.8423")  # Latin-1: a tEXt chunk
    info.add_text("Comment", "Nhà ông Nguyễn, số 12")  # not Latin-1: an iTXt chunk
    exif = Image.Exif()
    exif[0x010F] = "PhoneMaker"
    original = h.image_bytes("PNG", pnginfo=info, exif=exif.tobytes())
    assert all(chunk in original for chunk in (b"tEXt", b"iTXt", b"eXIf"))
    response = _upload(api, world.inspector, check_id, original, "photo.png")
    assert response.status_code == 200, response.json
    stored = api.as_(world.admin).get(f"/field-checks/{check_id}/photo")
    assert stored.mimetype == "image/png"
    for leftover in (b"tEXt", b"iTXt", b"eXIf", b"PhoneMaker", b"GPS", b"Nguy"):
        assert leftover not in stored.data


@pytest.mark.parametrize(
    ("data", "name"),
    [
        (b"just some notes, renamed\n" * 10, "photo.jpg"),
        (b"\xff\xd8\xff" + b"garbage" * 50, "photo.jpg"),  # JPEG magic, nothing decodable
        (b"\x89PNG\r\n\x1a\n" + b"\x00" * 40, "photo.png"),
        (b"GIF89a" + b"\x00" * 40, "photo.gif"),
    ],
)
def test_files_that_are_not_real_images_are_refused(api, world, check_id, data, name):
    response = _upload(api, world.inspector, check_id, data, name)
    assert response.status_code == 415 and response.json["code"] == "unsupported_photo"
    assert api.as_(world.inspector).get(f"/field-checks/{check_id}/photo").status_code == 404


def test_oversize_upload_is_refused(api, world, check_id):
    big = h.image_bytes("PNG") + os.urandom(MAX_PHOTO_BYTES)  # valid header, too many bytes
    response = _upload(api, world.inspector, check_id, big, "photo.png")
    assert response.status_code == 413 and response.json["code"] == "photo_too_large"
    huge = big + os.urandom(MAX_PHOTO_BYTES // 5)  # beyond the request body limit itself
    assert _upload(api, world.inspector, check_id, huge, "photo.png").status_code == 413
    assert api.as_(world.inspector).get(f"/field-checks/{check_id}/photo").status_code == 404


def test_only_the_recording_inspector_or_an_admin_attaches(api, db, world, check_id):
    from tests import factories as f
    from traceability.models.enums import Role

    with db.transaction() as session:
        other = f.user(session, world.department, Role.INSPECTOR, username="inspector2")
    photo = h.image_bytes("JPEG")
    assert _upload(api, other, check_id, photo).status_code == 403
    assert _upload(api, world.trader_a, check_id, photo).status_code == 403
    assert _upload(api, world.admin, check_id, photo).status_code == 200
    assert _upload(api, world.inspector, 10**9, photo).status_code == 404
    assert api.as_(world.trader_a).get(f"/field-checks/{check_id}/photo").status_code == 403


def test_json_body_is_not_accepted_for_photos(api, world, check_id):
    response = api.as_(world.inspector).post(f"/field-checks/{check_id}/photo", json={"a": 1})
    assert response.status_code == 415
