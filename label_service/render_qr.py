"""QR matrix for label URLs: qrcode's exact output, with a bit-parallel mask search for speed.

qrcode's own make(fit=True) spends ~35 ms per label, mostly scoring the eight masks. Here the
codewords and mask scores are computed directly and fed through qrcode 8's makeImpl/data_cache;
tests/render compares the result with QRCode.make() so a qrcode upgrade that breaks this fails.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable, Sequence

import qrcode
from qrcode import base, constants, util

MAX_VERSION = 10
QUIET_MODULES = 4
_ALNUM = re.compile(r"[0-9A-Z $%*+\-./:]+")
_ALNUM_VALUE = {chr(ch): i for i, ch in enumerate(util.ALPHA_NUM)}
_DARK_RUN = re.compile(b"\x01+")
_FINDER_LIKE = ("10111010000", "00001011101")


def qr_matrix(url: str) -> qrcode.QRCode:
    """Build the label QR (EC level M, one alphanumeric segment) so it stays small and robust."""
    if not _ALNUM.fullmatch(url):
        raise ValueError("label URL must use only QR alphanumeric characters (upper-case)")
    qr = qrcode.QRCode(error_correction=constants.ERROR_CORRECT_M, border=QUIET_MODULES)
    qr.add_data(util.QRData(url, mode=util.MODE_ALPHA_NUM, check_data=True), optimize=0)
    qr.version = _fit_version(len(url))
    qr.data_cache = _codewords(url, qr.version)
    qr.makeImpl(True, 0)
    qr.mask_pattern, rows = _best_mask(qr.modules, qr.version)
    n = qr.modules_count
    qr.modules = [[bit == "1" for bit in f"{row:0{n}b}"[::-1]] for row in _unpack(rows, n)]
    return qr


def _fit_version(length: int) -> int:
    """Smallest version holding one alphanumeric segment, as QRCode.best_fit would pick."""
    for version in range(1, MAX_VERSION + 1):
        bits = 4 + util.length_in_bits(util.MODE_ALPHA_NUM, version) + 11 * (length // 2)
        bits += 6 * (length % 2)
        if bits <= util.BIT_LIMIT_TABLE[constants.ERROR_CORRECT_M][version]:
            return version
    raise ValueError(f"URL of {length} characters needs a QR version above {MAX_VERSION}")


def dark_runs(modules: Sequence[Sequence[bool]]) -> list[tuple[int, int, int]]:
    """Horizontal runs of dark modules as (row, col, length), so vectors draw few shapes."""
    return [
        (r, m.start(), m.end() - m.start())
        for r, row in enumerate(modules)
        for m in _DARK_RUN.finditer(bytes(row))
    ]


def _codewords(url: str, version: int) -> list[int]:
    """qrcode.util.create_data for one alphanumeric segment, with table-driven Reed-Solomon."""
    blocks = base.rs_blocks(version, constants.ERROR_CORRECT_M)
    capacity = sum(block.data_count for block in blocks)
    count_bits = util.length_in_bits(util.MODE_ALPHA_NUM, version)
    values = [_ALNUM_VALUE[ch] for ch in url]
    bits = [f"{util.MODE_ALPHA_NUM:04b}", f"{len(url):0{count_bits}b}"]
    bits += [f"{values[i] * 45 + values[i + 1]:011b}" for i in range(0, len(values) - 1, 2)]
    if len(values) % 2:
        bits.append(f"{values[-1]:06b}")
    stream = "".join(bits)
    stream += "0" * min(capacity * 8 - len(stream), 4)
    stream += "0" * (-len(stream) % 8)
    data = [int(stream[i : i + 8], 2) for i in range(0, len(stream), 8)]
    data += [util.PAD0, util.PAD1] * ((capacity - len(data)) // 2 + 1)
    data_blocks, ec_blocks, offset = [], [], 0
    for block in blocks:
        chunk = data[offset : offset + block.data_count]
        offset += block.data_count
        data_blocks.append(chunk)
        ec_blocks.append(_rs_remainder(chunk, block.total_count - block.data_count))
    return [
        part[i]
        for group in (data_blocks, ec_blocks)
        for i in range(max(map(len, group)))
        for part in group
        if i < len(part)
    ]


@functools.cache
def _generator_logs(ec_count: int) -> tuple[int, ...]:
    """Log-form coefficients (after the leading 1) of the RS generator polynomial."""
    poly = [1]
    for i in range(ec_count):
        root = base.gexp(i)
        poly = [
            a ^ (base.gexp(base.glog(b) + base.glog(root)) if b else 0)
            for a, b in zip([*poly, 0], [0, *poly], strict=True)
        ]
    return tuple(base.glog(c) for c in poly[1:])


def _rs_remainder(data: list[int], ec_count: int) -> list[int]:
    gen = _generator_logs(ec_count)
    exp, log = base.EXP_TABLE, base.LOG_TABLE
    remainder = [0] * ec_count
    for byte in data:
        factor = byte ^ remainder[0]
        remainder = remainder[1:]
        remainder.append(0)
        if factor:
            lf = log[factor]
            remainder = [r ^ exp[(g + lf) % 255] for r, g in zip(remainder, gen, strict=True)]
    return remainder


def _pack(lines: Iterable[Sequence[bool]]) -> int:
    """All n-cell lines in one int, line i at bit i*(n+1), so each penalty rule is one big-int op."""
    return int("".join(["0" + "".join(["01"[d] for d in line[::-1]]) for line in lines][::-1]), 2)


@functools.cache
def _windows(n: int) -> tuple[int, ...]:
    """Per-line bit masks: cells 0..n-1-k for k in 0, 1, 4, 10, plus 0..n-2 without the last line."""
    stride = n + 1
    masks = []
    for k in (0, 1, 4, 10):
        line = (1 << (n - k)) - 1
        masks.append(sum(line << (i * stride) for i in range(n)))
    masks.append(masks[1] & ((1 << ((n - 1) * stride)) - 1))
    return tuple(masks)


@functools.cache
def _mask_diffs(version: int) -> tuple[tuple[int, int, int], ...]:
    """Per mask k, packed XOR vs mask 0 (rows, columns) and the format/version bits to add.

    All three are independent of the data, so they are computed once per version.
    """
    probe = qrcode.QRCode(version=version, error_correction=constants.ERROR_CORRECT_M)
    probe.add_data("0")
    grids = []
    for mask in range(8):
        probe.makeImpl(True, mask)
        rows = _pack(probe.modules)
        cols = _pack(list(zip(*probe.modules, strict=True)))
        probe.makeImpl(False, mask)
        grids.append((rows, cols, _pack(probe.modules) ^ rows))
    rows0, cols0, _ = grids[0]
    return tuple((rows ^ rows0, cols ^ cols0, info) for rows, cols, info in grids)


def _unpack(packed: int, n: int) -> list[int]:
    return [(packed >> (i * (n + 1))) & ((1 << n) - 1) for i in range(n)]


def _best_mask(test_modules: list[list[bool]], version: int) -> tuple[int, int]:
    """Same choice as qrcode.QRCode.best_mask_pattern, many times faster; returns packed rows."""
    n = len(test_modules)
    rows0 = _pack(test_modules)
    cols0 = _pack(list(zip(*test_modules, strict=True)))
    best, best_points = 0, -1
    diffs = _mask_diffs(version)
    for mask, (row_diff, col_diff, _) in enumerate(diffs):
        points = _penalty(rows0 ^ row_diff, cols0 ^ col_diff, n)
        if best_points < 0 or points < best_points:
            best, best_points = mask, points
    return best, rows0 ^ diffs[best][0] ^ diffs[best][2]


def _penalty(rows: int, cols: int, n: int) -> int:
    """qrcode.util.lost_point on packed bits: runs, 2x2 blocks, finder-like patterns, balance."""
    full, w1, w4, w10, w1_upper = _windows(n)
    points = 0
    for lines in (rows, cols):
        same = ~(lines ^ (lines >> 1)) & w1
        five = same & (same >> 1) & (same >> 2) & (same >> 3) & w4
        points += five.bit_count() + 2 * (five & ~(same << 1)).bit_count()
        inverse = ~lines & full
        for pattern in _FINDER_LIKE:
            hits = w10
            for i, bit in enumerate(pattern):
                hits &= (lines if bit == "1" else inverse) >> i
            points += 40 * hits.bit_count()
    vertical = ~(rows ^ (rows >> (n + 1)))
    horizontal = ~(rows ^ (rows >> 1))
    points += 3 * (vertical & (vertical >> 1) & horizontal & w1_upper).bit_count()
    dark = rows.bit_count()
    points += int(abs(float(dark) / (n * n) * 100 - 50) / 5) * 10
    return points
