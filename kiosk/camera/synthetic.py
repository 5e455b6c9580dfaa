"""Webcam-like 1280x720 frames with QR codes in them, rendered from a seed.

The tests, the benchmark (``bench/scan.py``) and a camera-less demo feed all need frames that look like what a door
camera sees: a ticket on paper or a phone screen, tilted, blurred, badly lit, compressed. Nothing here is random
without a seed: ``render_frame(category, seed)`` returns the same pixels every time, whatever else ran before.

Each frame knows what a perfect decoder would read from it (``SyntheticFrame.payloads``; empty for the no-code
categories, which include QR-like decoys and other barcode types so that false positives get caught).
"""

from __future__ import annotations

import functools
import math
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np
import qrcode
import qrcode.constants
import zxingcpp
from numpy.typing import NDArray

WIDTH, HEIGHT = 1280, 720

BASE32_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"
CONFIRMATION_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I

# Categories of frames that carry one code, and of frames that carry none.
CODE_CATEGORIES: tuple[str, ...] = (
    "clean",
    "rotated",
    "perspective",
    "gaussian_blur",
    "motion_blur",
    "glare",
    "dim",
    "noise",
    "jpeg",
    "phone",
    "phone_dark",
    "small",
    "occluded",
    "combined",
)
NO_CODE_CATEGORIES: tuple[str, ...] = ("blank", "decoy_qr_like", "other_barcode")
ALL_CATEGORIES = CODE_CATEGORIES + NO_CODE_CATEGORIES

Image = NDArray[np.uint8]
FloatImage = NDArray[np.float32]
Rng = np.random.Generator


@dataclass(frozen=True)
class SyntheticFrame:
    image: Image  # BGR, HEIGHT x WIDTH x 3
    payloads: tuple[str, ...]  # what a perfect decoder reads; () for no-code frames
    category: str
    seed: int


def random_token(rng: Rng) -> str:
    """Something shaped like an Usher ticket token: ``U1:`` and 100-167 base32 characters."""
    length = int(rng.integers(100, 168))
    return "U1:" + "".join(rng.choice(list(BASE32_ALPHABET), size=length))


def random_confirmation_code(rng: Rng) -> str:
    """A short code of 9 or 10 characters, like the ones printed under a ticket's QR code."""
    length = int(rng.integers(9, 11))
    return "".join(rng.choice(list(CONFIRMATION_ALPHABET), size=length))


def random_payload(rng: Rng) -> str:
    return random_confirmation_code(rng) if rng.random() < 0.15 else random_token(rng)


def qr_modules(payload: str, error_correction: int = qrcode.constants.ERROR_CORRECT_M) -> NDArray[np.bool_]:
    """The module matrix of a QR code (True = dark), without a quiet zone."""
    code = qrcode.QRCode(error_correction=error_correction, box_size=1, border=0)
    code.add_data(payload)
    code.make(fit=True)
    return np.array(code.get_matrix(), dtype=bool)


def render_frame(category: str, seed: int, payload: str | None = None) -> SyntheticFrame:
    """One frame of ``category``, fully determined by ``seed`` (and ``payload`` when given)."""
    if category not in ALL_CATEGORIES:
        raise ValueError(f"unknown frame category {category!r}; known: {', '.join(ALL_CATEGORIES)}")
    rng = np.random.default_rng([seed, ALL_CATEGORIES.index(category)])
    if category in NO_CODE_CATEGORIES:
        image = _render_no_code(category, rng)
        return SyntheticFrame(image, (), category, seed)
    text = payload if payload is not None else random_payload(rng)
    image = _render_code(category, qr_modules(text), rng)
    return SyntheticFrame(image, (text,), category, seed)


def generate_frames(
    per_category: int, seed: int = 0, categories: Sequence[str] = ALL_CATEGORIES
) -> Iterator[SyntheticFrame]:
    """``per_category`` frames of each category, in a fixed order."""
    for index in range(per_category):
        for category in categories:
            yield render_frame(category, seed * 1_000_003 + index)


def ticket_frame(payload: str, seed: int = 0, carrier: str = "paper") -> Image:
    """An easy frame: ``payload``'s QR code on paper, a phone (``"phone"``) or a dark-mode phone (``"phone_dark"``)."""
    return code_frame(qr_modules(payload), seed, carrier)


def code_frame(modules: NDArray[np.bool_], seed: int = 0, carrier: str = "paper") -> Image:
    """Any symbol (True = dark module) in a frame with webcam-normal light and optics."""
    if carrier not in ("paper", "phone", "phone_dark"):
        raise ValueError(f"unknown carrier {carrier!r}")
    rng = np.random.default_rng([seed, 1000])
    look = _Look(code_px=(280, 360), roll=10, tilt=10, carrier=carrier)
    frame = _background(rng)
    height, width = modules.shape
    size = float(rng.uniform(*look.code_px))
    card, corners = _carrier_card(modules, carrier, size / max(height, width), rng)
    quad = _placed_quad(size, look.roll, look.tilt, rng, aspect=height / width)
    frame = _paste(frame, card, corners, quad)
    return _finish(_apply_light_and_optics(frame, look, quad, rng), rng, look)


def barcode_modules(content: str, symbology: zxingcpp.BarcodeFormat) -> NDArray[np.bool_]:
    """The modules of another symbology (Data Matrix, PDF417, Micro QR, Code 128, ...), True = dark."""
    image = np.asarray(zxingcpp.write_barcode_to_image(zxingcpp.create_barcode(content, symbology), scale=1))
    dark = image < 128
    rows = np.flatnonzero(dark.any(axis=1))
    if (dark[rows] == dark[rows[0]]).all():  # a linear symbol: make it tall enough to see
        dark = np.repeat(dark[rows[:1]], max(dark.shape[1] // 3, 1), axis=0)
    rows = np.flatnonzero(dark.any(axis=1))
    cols = np.flatnonzero(dark.any(axis=0))
    return np.asarray(dark[rows[0] : rows[-1] + 1, cols[0] : cols[-1] + 1])


def blank_frame(seed: int = 0) -> Image:
    """A frame of background clutter only, for gaps between appearances in test videos."""
    return _finish(_background(np.random.default_rng([seed, 999])), np.random.default_rng([seed, 998]))


def write_video(path: Path, frames: Sequence[Image], fps: float = 30.0) -> Path:
    """Frames into a video file OpenCV can read back: ``.avi`` as MJPG, anything else as mp4v."""
    fourcc = cv2.VideoWriter.fourcc(*("MJPG" if path.suffix.lower() == ".avi" else "mp4v"))
    height, width = frames[0].shape[:2]
    writer = cv2.VideoWriter(str(path), fourcc, fps, (width, height))
    if not writer.isOpened():
        raise OSError(f"cannot write a video to {path}")
    try:
        for frame in frames:
            writer.write(frame)
    finally:
        writer.release()
    return path


# --- what each category does -------------------------------------------------------------------------------------


@dataclass
class _Look:
    """The knobs one category turns; everything else stays webcam-normal."""

    code_px: tuple[float, float] = (230, 420)  # width of the symbol (no quiet zone) in frame pixels
    roll: float = 15.0  # in-plane rotation, +- degrees
    tilt: float = 12.0  # out-of-plane rotation about x and y, +- degrees
    carrier: str = "paper"  # paper | phone | phone_dark
    gaussian_sigma: tuple[float, float] = (0.4, 0.9)
    motion_length: tuple[int, int] = (0, 0)
    glare: bool = False
    gain: tuple[float, float] = (0.8, 1.15)
    noise_sigma: tuple[float, float] = (2.0, 5.0)
    jpeg_quality: tuple[int, int] = (70, 92)
    occlusion: bool = False


def _look_for(category: str, rng: Rng) -> _Look:
    look = _Look()
    match category:
        case "clean":
            pass
        case "rotated":
            look.roll = 180.0
        case "perspective":
            look.tilt = 50.0
        case "gaussian_blur":
            look.gaussian_sigma = (1.5, 4.5)
        case "motion_blur":
            look.motion_length = (6, 26)
        case "glare":
            look.glare = True
        case "dim":
            look.gain = (0.08, 0.25)
            look.noise_sigma = (2.0, 6.0)
        case "noise":
            look.noise_sigma = (14.0, 34.0)
        case "jpeg":
            look.jpeg_quality = (5, 22)
        case "phone":
            look.carrier = "phone"
            look.glare = bool(rng.random() < 0.4)
        case "phone_dark":
            look.carrier = "phone_dark"
            look.glare = bool(rng.random() < 0.4)
        case "small":
            look.code_px = (55, 125)
        case "occluded":
            look.occlusion = True
        case "combined":
            look.roll = 60.0
            look.tilt = 30.0
            look.carrier = str(rng.choice(["paper", "paper", "phone", "phone_dark"]))
            picks = rng.choice(6, size=3, replace=False)
            if 0 in picks:
                look.gaussian_sigma = (1.0, 2.5)
            if 1 in picks:
                look.motion_length = (4, 12)
            if 2 in picks:
                look.glare = True
            if 3 in picks:
                look.gain = (0.2, 0.45)
            if 4 in picks:
                look.noise_sigma = (8.0, 18.0)
            if 5 in picks:
                look.jpeg_quality = (15, 35)
    return look


def _render_code(category: str, modules: NDArray[np.bool_], rng: Rng) -> Image:
    look = _look_for(category, rng)
    frame = _background(rng)
    n = modules.shape[0]
    code_px = float(rng.uniform(*look.code_px))
    card, symbol_corners = _carrier_card(modules, look.carrier, code_px / n, rng)
    quad = _placed_quad(code_px, look.roll, look.tilt, rng)
    frame = _paste(frame, card, symbol_corners, quad)
    if look.occlusion:
        _occlude(frame, quad, rng)
    frame = _apply_light_and_optics(frame, look, quad, rng)
    return _finish(frame, rng, look)


def _render_no_code(category: str, rng: Rng) -> Image:
    frame = _background(rng)
    look = _Look()
    if category == "blank":
        choice = rng.integers(3)
        if choice > 0:
            size = float(rng.uniform(200, 420))
            carrier = "paper" if choice == 1 else str(rng.choice(["phone", "phone_dark"]))
            empty = np.zeros((29, 29), dtype=bool)
            card, corners = _carrier_card(empty, carrier, size / 29, rng)
            frame = _paste(frame, card, corners, _placed_quad(size, 20, 15, rng))
        return _finish(_apply_light_and_optics(frame, look, None, rng), rng, look)
    modules = _qr_like_decoy(rng) if category == "decoy_qr_like" else _other_barcode(rng)
    height, width = modules.shape
    size = float(rng.uniform(220, 420))
    carrier = str(rng.choice(["paper", "paper", "phone", "phone_dark"]))
    card, corners = _carrier_card(modules, carrier, size / max(height, width), rng)
    quad = _placed_quad(size, 20, 15, rng, aspect=height / width)
    frame = _paste(frame, card, corners, quad)
    return _finish(_apply_light_and_optics(frame, look, quad, rng), rng, look)


def _qr_like_decoy(rng: Rng) -> NDArray[np.bool_]:
    """Random modules with real finder and timing patterns: looks like a QR code, decodes as nothing."""
    kind = rng.integers(3)
    n = int(rng.choice([21, 25, 29, 33, 37, 41, 45]))
    if kind == 2:  # a checkerboard of random cell size
        cell = int(rng.integers(1, 4))
        yy, xx = np.indices((n, n))
        return np.asarray(((yy // cell + xx // cell) % 2) == 0)
    modules = rng.random((n, n)) < 0.5
    if kind == 1:
        modules[6, 8 : n - 8] = np.arange(n - 16) % 2 == 0
        modules[8 : n - 8, 6] = np.arange(n - 16) % 2 == 0
    finder = np.ones((7, 7), dtype=bool)
    finder[1:6, 1:6] = False
    finder[2:5, 2:5] = True
    for y, x in ((0, 0), (0, n - 7), (n - 7, 0)):
        modules[max(y - 1, 0) : y + 8, max(x - 1, 0) : x + 8] = False
        modules[y : y + 7, x : x + 7] = finder
    return modules


_OTHER_FORMATS = (
    zxingcpp.BarcodeFormat.Code128,
    zxingcpp.BarcodeFormat.EAN13,
    zxingcpp.BarcodeFormat.DataMatrix,
    zxingcpp.BarcodeFormat.Aztec,
    zxingcpp.BarcodeFormat.PDF417,
    zxingcpp.BarcodeFormat.MicroQRCode,
    zxingcpp.BarcodeFormat.RMQRCode,
)


def _other_barcode(rng: Rng) -> NDArray[np.bool_]:
    """Another symbology, carrying a token-like text where it can: a QR-only decoder must not read it."""
    fmt = _OTHER_FORMATS[int(rng.integers(len(_OTHER_FORMATS)))]
    if fmt == zxingcpp.BarcodeFormat.EAN13:
        content = "".join(str(d) for d in rng.integers(0, 10, size=12))
    elif fmt in (zxingcpp.BarcodeFormat.MicroQRCode, zxingcpp.BarcodeFormat.Code128):
        content = random_confirmation_code(rng)
    else:
        content = random_token(rng)[:60]
    return barcode_modules(content, fmt)


# --- drawing ----------------------------------------------------------------------------------------------------


def _background(rng: Rng) -> FloatImage:
    """An out-of-focus room: a smooth colour field with some shapes and text in it."""
    grey = rng.uniform(40, 200, size=(5, 9, 1))
    small = (grey * rng.uniform(0.8, 1.2, size=(5, 9, 3))).astype(np.float32)  # muted colours, like a room
    frame = np.clip(cv2.resize(small, (WIDTH, HEIGHT), interpolation=cv2.INTER_CUBIC), 0, 255).astype(np.uint8)
    for _ in range(int(rng.integers(4, 10))):
        colour = tuple(float(c) for c in rng.uniform(15, 235) * rng.uniform(0.7, 1.3, size=3))
        x, y = int(rng.integers(0, WIDTH)), int(rng.integers(0, HEIGHT))
        w, h = int(rng.integers(30, 400)), int(rng.integers(30, 300))
        thickness = -1 if rng.random() < 0.6 else int(rng.integers(2, 8))
        if rng.random() < 0.5:
            cv2.rectangle(frame, (x, y), (x + w, y + h), colour, thickness)
        else:
            cv2.ellipse(frame, (x, y), (w // 2, h // 2), float(rng.uniform(0, 180)), 0, 360, colour, thickness)
    for _ in range(int(rng.integers(0, 4))):
        words = "".join(rng.choice(list("ABCDEFGHIKLMNOPRSTUVW 0123456789"), size=int(rng.integers(5, 20))))
        colour = tuple(float(c) for c in rng.uniform(0, 255, size=3))
        origin = (int(rng.integers(0, WIDTH - 200)), int(rng.integers(30, HEIGHT)))
        cv2.putText(frame, words, origin, cv2.FONT_HERSHEY_SIMPLEX, float(rng.uniform(0.6, 2.0)), colour, 2)
    return np.asarray(cv2.GaussianBlur(frame, (0, 0), float(rng.uniform(1.0, 3.5))), dtype=np.float32)


def _carrier_card(
    modules: NDArray[np.bool_], carrier: str, frame_px_per_module: float, rng: Rng
) -> tuple[FloatImage, NDArray[np.float32]]:
    """The code on a paper ticket or a phone, and where the symbol's corners are on it.

    The card is drawn at a few pixels per module, then blurred as much as the later shrink into the frame needs so
    the warp does not alias.
    """
    px = int(np.clip(round(frame_px_per_module * 2), 4, 16))
    height, width = modules.shape
    quiet = 4 * px
    if carrier == "paper":
        light, dark = float(rng.uniform(195, 250)), float(rng.uniform(8, 50))
        margin_x, margin_top, margin_bottom = quiet + int(px * rng.uniform(1, 6)), quiet + px * 2, quiet + px * 10
        surround = None
    else:
        screen_white, screen_black = float(rng.uniform(215, 255)), float(rng.uniform(10, 35))
        light, dark = (screen_white, screen_black) if carrier == "phone" else (screen_black + 10, screen_white - 20)
        margin_x, margin_top, margin_bottom = quiet + px * 2, quiet + px * 16, quiet + px * 20
        surround = float(rng.uniform(5, 25))  # bezel
    card_h = height * px + margin_top + margin_bottom
    card_w = width * px + 2 * margin_x
    card = np.full((card_h, card_w), light, dtype=np.float32)
    symbol = np.where(np.kron(modules, np.ones((px, px), dtype=bool)), dark, light).astype(np.float32)
    card[margin_top : margin_top + height * px, margin_x : margin_x + width * px] = symbol
    text_top = margin_top + height * px + quiet
    for line in range(int(rng.integers(1, 4))):
        y = text_top + line * px * 2
        length = int(card_w * rng.uniform(0.3, 0.8))
        if y + px < card_h:
            card[y : y + px, margin_x : margin_x + length] = dark * 0.6 + light * 0.4
    if surround is not None:
        bezel = max(px * 3, 6)
        card = cv2.copyMakeBorder(card, bezel, bezel, bezel, bezel, cv2.BORDER_CONSTANT, value=surround)
        margin_top += bezel
        margin_x += bezel
        yy, xx = np.indices(card.shape, dtype=np.float32)
        period = float(rng.uniform(2.2, 4.0))
        card = card * (1 + 0.05 * np.sin(xx * 2 * math.pi / period) * np.sin(yy * 2 * math.pi / period))
    tint = rng.uniform(0.9, 1.05, size=3).astype(np.float32)
    coloured = np.asarray(card[:, :, None] * tint[None, None, :], dtype=np.float32)
    shrink = px / max(frame_px_per_module, 1e-3)
    if shrink > 1:
        coloured = np.asarray(cv2.GaussianBlur(coloured, (0, 0), 0.45 * shrink), dtype=np.float32)
    x0, y0 = float(margin_x), float(margin_top)
    x1, y1 = x0 + width * px, y0 + height * px
    corners = np.array([[x0, y0], [x1, y0], [x1, y1], [x0, y1]], dtype=np.float32)
    return coloured, corners


def _placed_quad(size: float, roll: float, tilt: float, rng: Rng, aspect: float = 1.0) -> NDArray[np.float32]:
    """Where a size x (size*aspect) square lands in the frame after rotating it in 3D and projecting it."""
    half_w, half_h = size / 2, size * aspect / 2
    square = np.array([[-half_w, -half_h, 0], [half_w, -half_h, 0], [half_w, half_h, 0], [-half_w, half_h, 0]])
    ax, ay = (math.radians(float(rng.uniform(-tilt, tilt))) for _ in range(2))
    az = math.radians(float(rng.uniform(-roll, roll)))
    rx = np.array([[1, 0, 0], [0, math.cos(ax), -math.sin(ax)], [0, math.sin(ax), math.cos(ax)]])
    ry = np.array([[math.cos(ay), 0, math.sin(ay)], [0, 1, 0], [-math.sin(ay), 0, math.cos(ay)]])
    rz = np.array([[math.cos(az), -math.sin(az), 0], [math.sin(az), math.cos(az), 0], [0, 0, 1]])
    points = square @ (rz @ ry @ rx).T
    focal = 1100.0
    projected = points[:, :2] * (focal / (focal + points[:, 2:3]))
    span_x = max(WIDTH / 2 - size * 0.8, 1.0)
    span_y = max(HEIGHT / 2 - size * 0.8, 1.0)
    centre = np.array([WIDTH / 2 + rng.uniform(-span_x, span_x), HEIGHT / 2 + rng.uniform(-span_y, span_y)])
    return np.asarray(projected + centre, dtype=np.float32)


def _paste(frame: FloatImage, card: FloatImage, corners: NDArray[np.float32], quad: NDArray[np.float32]) -> FloatImage:
    """Warp ``card`` so that its ``corners`` land on ``quad``; only the region it covers is touched."""
    homography = cv2.getPerspectiveTransform(corners, quad)
    card_h, card_w = card.shape[:2]
    outline = np.array([[[0, 0]], [[card_w, 0]], [[card_w, card_h]], [[0, card_h]]], dtype=np.float32)
    landed = cv2.perspectiveTransform(outline, homography).reshape(-1, 2)
    x0, y0 = np.maximum(np.floor(landed.min(axis=0)).astype(int) - 1, 0)
    x1, y1 = np.minimum(np.ceil(landed.max(axis=0)).astype(int) + 1, [WIDTH, HEIGHT])
    if x1 <= x0 or y1 <= y0:
        return frame
    shift = np.array([[1, 0, -x0], [0, 1, -y0], [0, 0, 1]], dtype=np.float64)
    size = (int(x1 - x0), int(y1 - y0))
    warped = cv2.warpPerspective(card, shift @ homography, size, flags=cv2.INTER_LINEAR)
    ones = np.ones((card_h, card_w), dtype=np.float32)
    mask = cv2.warpPerspective(ones, shift @ homography, size, flags=cv2.INTER_LINEAR)[:, :, None]
    region = frame[y0:y1, x0:x1]
    frame[y0:y1, x0:x1] = region * (1 - mask) + warped * mask
    return frame


def _occlude(frame: FloatImage, quad: NDArray[np.float32], rng: Rng) -> None:
    """A thumb reaching over one edge of the code, as people hold a phone or a ticket."""
    size = float(np.linalg.norm(quad[1] - quad[0]))
    edge = int(rng.integers(4))
    start, end = quad[edge], quad[(edge + 1) % 4]
    along = start + (end - start) * float(rng.uniform(0.25, 0.75))
    outward = along - quad.mean(axis=0)
    outward /= max(float(np.linalg.norm(outward)), 1e-6)
    at = along + outward * size * float(rng.uniform(0.08, 0.2))
    axes = (int(size * rng.uniform(0.10, 0.16)), int(size * rng.uniform(0.25, 0.4)))
    angle = math.degrees(math.atan2(float(outward[1]), float(outward[0]))) + 90 + float(rng.uniform(-25, 25))
    skin = tuple(float(c) for c in (rng.uniform(90, 150), rng.uniform(120, 170), rng.uniform(170, 230)))
    cv2.ellipse(frame, (int(at[0]), int(at[1])), axes, angle, 0, 360, skin, -1, lineType=cv2.LINE_AA)


def _apply_light_and_optics(frame: FloatImage, look: _Look, quad: NDArray[np.float32] | None, rng: Rng) -> FloatImage:
    yy, xx = np.ogrid[0:HEIGHT, 0:WIDTH]
    # uneven room light: a tilted plane of gain
    gx, gy = rng.uniform(-0.35, 0.35, size=2) / np.array([WIDTH, HEIGHT])
    light = (1 + gx * (xx - WIDTH / 2) + gy * (yy - HEIGHT / 2)).astype(np.float32)
    frame = frame * light[:, :, None]
    if look.glare and quad is not None:
        size = float(np.linalg.norm(quad[1] - quad[0]))
        spot = quad.mean(axis=0) + rng.uniform(-0.3, 0.3, size=2) * size
        radius = size * float(rng.uniform(0.12, 0.3))
        strength = float(rng.uniform(160, 420))
        blob = np.exp(-((xx - spot[0]) ** 2 + (yy - spot[1]) ** 2) / (2 * radius**2)).astype(np.float32)
        frame = frame + strength * blob[:, :, None]
    frame = np.minimum(frame, 255.0)
    sigma = float(rng.uniform(*look.gaussian_sigma))
    frame = np.asarray(cv2.GaussianBlur(frame, (0, 0), sigma), dtype=np.float32)
    if look.motion_length[1] > 0:
        length = int(rng.integers(*look.motion_length))
        kernel = np.zeros((length, length), dtype=np.float32)
        angle = float(rng.uniform(0, math.pi))
        c = (length - 1) / 2
        dx, dy = math.cos(angle) * c, math.sin(angle) * c
        cv2.line(kernel, (round(c - dx), round(c - dy)), (round(c + dx), round(c + dy)), 1.0, 1, cv2.LINE_AA)
        frame = np.asarray(cv2.filter2D(frame, -1, kernel / kernel.sum()), dtype=np.float32)
    gain = float(rng.uniform(*look.gain))
    return np.asarray(frame * gain, dtype=np.float32)


def _finish(frame: FloatImage, rng: Rng, look: _Look | None = None) -> Image:
    """Sensor noise, 8 bits and the webcam's JPEG (MJPEG) compression."""
    look = look or _Look()
    sigma = float(rng.uniform(*look.noise_sigma))
    bank = _noise_bank()
    oy, ox = (int(v) for v in rng.integers(0, _NOISE_MARGIN, size=2))
    noise = bank[oy : oy + HEIGHT, ox : ox + WIDTH]
    # mostly luminance noise (channel 3), some colour noise (channels 0-2)
    noisy = frame + noise[:, :, 3:] * sigma + noise[:, :, :3] * (sigma * 0.3)
    image = np.clip(noisy, 0, 255).astype(np.uint8)
    quality = int(rng.integers(look.jpeg_quality[0], look.jpeg_quality[1] + 1))
    ok, encoded = cv2.imencode(".jpg", image, [cv2.IMWRITE_JPEG_QUALITY, quality])
    if not ok:  # pragma: no cover - OpenCV always encodes a valid uint8 image
        raise RuntimeError("JPEG encoding failed")
    return np.asarray(cv2.imdecode(encoded, cv2.IMREAD_COLOR), dtype=np.uint8)


_NOISE_MARGIN = 97


@functools.cache
def _noise_bank() -> FloatImage:
    """Unit Gaussian noise, a little larger than a frame; each frame takes a window at a seeded offset.

    Drawing fresh noise for every frame took most of the rendering time.
    """
    rng = np.random.default_rng(20240601)
    return rng.standard_normal((HEIGHT + _NOISE_MARGIN, WIDTH + _NOISE_MARGIN, 4), dtype=np.float32)
