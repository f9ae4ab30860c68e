"""Label rendering: every format must carry a QR that an independent decoder reads back exactly."""

from __future__ import annotations

import io
import itertools
import random
import shutil
import statistics
import string
import subprocess
import time
import xml.etree.ElementTree as ET
from collections.abc import Callable
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
import qrcode
from PIL import Image
from qrcode import constants, util

from label_service.render import (
    MAX_SHEET_LABELS,
    PrintableLabel,
    qr_matrix,
    render_pdf,
    render_png,
    render_sheet_pdf,
    render_svg,
    render_zpl,
)
from label_service.render_layout import HEIGHT_PX, WIDTH_PX, layout, text_width
from label_service.render_zpl import zpl_text

BASE_URL = "HTTPS://LPG-TRACE.EXAMPLE.VN/VERIFY/V01/"
STATION = "Trạm chiết nạp Công ty CP Dầu khí V-Gas"
LONG_STATION = (
    "Trạm chiết nạp Công ty Cổ phần Kinh doanh Khí hóa lỏng Miền Nam chi nhánh Khu công nghiệp "
    "Phú Mỹ, thị xã Phú Mỹ, tỉnh Bà Rịa - Vũng Tàu, số 1234 đường Độc Lập"
)
ALNUM = string.ascii_uppercase + string.digits
_rng = random.Random(20261204)


def token(length: int = 200) -> str:
    return "".join(_rng.choice(ALNUM) for _ in range(length))


def make_label(**overrides: Any) -> PrintableLabel:
    fields: dict[str, Any] = {
        "url": BASE_URL + token(),
        "manual_code": "7ZK3-Q9XM-2B4T-0H",
        "brand": "V-GAS",
        "serial": "VG-2019-004512",
        "type_label": "12 kg",
        "tare_kg": Decimal("15.2"),
        "net_kg": Decimal("12.0"),
        "filled_on": date(2026, 12, 4),
        "inspection_due": date(2029, 5, 1),
        "station": STATION,
    }
    fields.update(overrides)
    return PrintableLabel(**fields)


def zbar() -> Callable[..., list[Any]]:
    try:
        from pyzbar.pyzbar import decode
    except ImportError:
        pytest.skip("zbar not installed: apt-get install libzbar0 zbar-tools")
    return decode


def decoded(image: Image.Image) -> list[str]:
    return [symbol.data.decode("ascii") for symbol in zbar()(image.convert("L"))]


def pdf_reader(data: bytes) -> Any:
    pypdf = pytest.importorskip("pypdf")
    return pypdf.PdfReader(io.BytesIO(data))


def test_base_url_is_40_chars_and_qr_fits_version_10() -> None:
    assert len(BASE_URL) == 40
    url = BASE_URL + token(200)
    qr = qr_matrix(url)
    assert qr.version <= 10
    assert len(qr.data_list) == 1
    assert qr.data_list[0].mode == util.MODE_ALPHA_NUM
    assert qr.error_correction == constants.ERROR_CORRECT_M


@pytest.mark.parametrize("length", [1, 17, 120, 200, 230])
def test_qr_matrix_is_identical_to_qrcode_best_mask_output(length: int) -> None:
    url = BASE_URL + token(length)
    reference = qrcode.QRCode(error_correction=constants.ERROR_CORRECT_M)
    reference.add_data(util.QRData(url, mode=util.MODE_ALPHA_NUM), optimize=0)
    reference.make(fit=True)
    ours = qr_matrix(url)
    assert (ours.version, ours.modules) == (reference.version, reference.modules)


def test_qr_matrix_refuses_lower_case_and_oversized_urls() -> None:
    with pytest.raises(ValueError, match="alphanumeric"):
        qr_matrix("https://lpg.example.vn/v/abc")
    with pytest.raises(ValueError, match="version"):
        qr_matrix(BASE_URL + token(400))


def test_png_size_dpi_and_decodes_exactly() -> None:
    label = make_label()
    image = Image.open(io.BytesIO(render_png(label)))
    assert image.size == (WIDTH_PX, HEIGHT_PX)
    assert image.mode == "1"
    assert image.info["dpi"] == pytest.approx((300, 300), abs=0.01)
    assert decoded(image) == [label.url]


def test_long_station_and_32_char_serial_fit_and_still_decode() -> None:
    label = make_label(
        serial="VG-2019-0045120000-ABCDEFGHIJKLM",
        station=LONG_STATION,
        brand="PETROVIETNAM GAS SÀI GÒN",
        type_label="45 kg",
    )
    assert len(label.serial) == 32
    plan = layout(label)
    texts = plan.texts
    for item in texts:
        assert item.x >= 0
        assert item.x + text_width(item.text, item.size, item.bold) <= WIDTH_PX
        assert item.baseline <= HEIGHT_PX
    baselines = sorted({item.baseline for item in texts})
    assert all(b - a >= 12 for a, b in itertools.pairwise(baselines))
    assert "".join(t.text for t in texts[2:4]).replace(" ", "") == label.serial
    assert any(t.text.endswith("…") for t in texts)
    assert decoded(Image.open(io.BytesIO(render_png(label)))) == [label.url]
    zpl = render_zpl(label)
    assert f"{label.serial[:16]}\\&{label.serial[16:]}^FS" in zpl
    field_tops = [
        int(line[3:].split(",")[1].split("^")[0])
        for line in zpl.splitlines()
        if line.startswith("^FO")
    ]
    assert max(field_tops) + 20 <= 240


def test_svg_is_xml_with_escaped_vietnamese_station() -> None:
    label = make_label(station=STATION + " <Kho & Bãi>")
    svg = render_svg(label)
    assert "Trạm chiết nạp" in svg
    assert "&lt;Kho &amp; Bãi&gt;" in svg
    root = ET.fromstring(svg.encode())  # noqa: S314 (our own output)
    assert (root.get("width"), root.get("height")) == ("50mm", "30mm")
    ns = "{http://www.w3.org/2000/svg}"
    assert len(root.findall(f".//{ns}path")) == 1
    texts = ["".join(t.itertext()) for t in root.iter(f"{ns}text")]
    assert any("<Kho & Bãi>" in t for t in texts)
    assert all("DejaVu Sans" in g.get("font-family", "") for g in root.iter(f"{ns}g"))


def test_pdf_page_size_font_and_text() -> None:
    label = make_label()
    data = render_pdf(label)
    assert b"DejaVu" in data
    reader = pdf_reader(data)
    assert len(reader.pages) == 1
    box = reader.pages[0].mediabox
    assert (float(box.width), float(box.height)) == pytest.approx((141.73, 85.04), abs=0.01)
    text = reader.pages[0].extract_text()
    assert label.serial in text
    assert "Kiểm định" in text


def _pdftoppm(data: bytes, tmp_path: Path) -> Image.Image:
    exe = shutil.which("pdftoppm")
    if exe is None:
        pytest.skip("pdftoppm not installed: apt-get install poppler-utils")
    source = tmp_path / "label.pdf"
    source.write_bytes(data)
    command = [exe, "-r", "300", "-png", "-singlefile", "-mono", str(source), str(tmp_path / "p")]
    subprocess.run(command, check=True)  # noqa: S603
    return Image.open(tmp_path / "p.png")


def test_pdf_rasterised_decodes(tmp_path: Path) -> None:
    label = make_label(station=LONG_STATION)
    assert decoded(_pdftoppm(render_pdf(label), tmp_path)) == [label.url]


def test_zpl_structure() -> None:
    label = make_label()
    zpl = render_zpl(label)
    assert zpl.startswith("^XA")
    assert zpl.rstrip().endswith("^XZ")
    assert "^CI28" in zpl
    assert "^PW400" in zpl and "^LL240" in zpl
    assert f"^BQN,2,3^FDMA,{label.url}^FS" in zpl
    assert label.serial in zpl
    assert "Trạm chiết nạp" in zpl


def test_zpl_escapes_control_characters_from_data() -> None:
    evil = "Trạm^XZ^XA^FO0,0^GB400,240,240^FS~JR_x\\"
    label = make_label(station=evil, brand="~HS", serial="VG^1_2")
    zpl = render_zpl(label)
    assert zpl.count("^XA") == 1 and zpl.count("^XZ") == 1
    assert "~" not in zpl
    assert "^GB" not in zpl
    assert zpl_text("a^b~c_d") == "a_5Eb_7Ec_5Fd"
    assert "_5EXZ_5EXA" in zpl and "_7EJR_5Fx" in zpl
    assert "VG_5E1_5F2" in zpl
    for line in zpl.splitlines():
        if "^FD" in line and "^BQ" not in line:
            assert "^FH_^FD" in line


def test_zpl_font_option_uses_downloaded_ttf() -> None:
    zpl = render_zpl(make_label(), font="E:DEJAVU.TTF")
    assert "^A@N,22,22,E:DEJAVU.TTF" in zpl
    assert "^A0N" not in zpl


def test_sheet_of_100_has_4_a4_pages() -> None:
    labels = [make_label(serial=f"VG-2026-{i:06d}") for i in range(100)]
    reader = pdf_reader(render_sheet_pdf(labels))
    assert len(reader.pages) == 4
    box = reader.pages[0].mediabox
    assert (float(box.width), float(box.height)) == pytest.approx((595.28, 841.89), abs=0.01)
    assert "VG-2026-000099" in reader.pages[3].extract_text()
    assert "VG-2026-000027" in reader.pages[1].extract_text()


def test_sheet_labels_decode(tmp_path: Path) -> None:
    labels = [make_label() for _ in range(4)]
    found = decoded(_pdftoppm(render_sheet_pdf(labels), tmp_path))
    assert sorted(found) == sorted(label.url for label in labels)


def test_sheet_refuses_more_than_1000_labels() -> None:
    label = make_label()
    with pytest.raises(ValueError, match="1000"):
        render_sheet_pdf([label] * (MAX_SHEET_LABELS + 1))


def test_report_render_speed(capsys: pytest.CaptureFixture[str]) -> None:
    """Not a timed assertion (shared CI cores are noisy): prints medians for the record."""
    labels = [
        make_label(serial=f"VG-2026-{i:06d}", manual_code=f"{token(4)}-{token(4)}-{token(4)}-00")
        for i in range(41)
    ]
    render_png(labels[0])
    times = []
    for label in labels[1:]:
        start = time.perf_counter()
        render_png(label)
        times.append(time.perf_counter() - start)
    start = time.perf_counter()
    render_sheet_pdf([make_label() for _ in range(100)])
    sheet = time.perf_counter() - start
    with capsys.disabled():
        print(
            f"\nrender_png median {statistics.median(times) * 1000:.2f} ms (unique URL/serial/"
            f"code each); render_sheet_pdf(100) {sheet:.2f} s"
        )
