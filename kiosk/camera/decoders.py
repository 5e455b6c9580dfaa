"""QR decoders: a frame (BGR or greyscale ``uint8`` array) in, the payload strings found in it out.

Every decoder reads QR codes only (Model 2, what tickets carry) and returns each payload once, in the order found.
An empty list means "nothing readable", never an error: a camera frame without a code is the normal case.

- ``ZxingDecoder``: zxing-cpp; fast, and reads light-on-dark codes (phone dark mode) by itself.
- ``PyzbarDecoder``: ZBar through pyzbar; slower, and only sees dark-on-light, so it retries the frame inverted.
- ``Preprocessed``: another decoder run on a transformed frame (smaller, contrast-stretched, sharpened, ...).
- ``ChainDecoder``: stages in order, the first stage that finds something wins; later stages only run on the frames
  the earlier ones could not read, and not at all once a time budget is spent.

``make_decoder(name)`` builds one by the name used in the kiosk settings (see ``DECODER_NAMES``).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from typing import Protocol

import cv2
import numpy as np
import zxingcpp
from numpy.typing import NDArray
from pyzbar import pyzbar

Frame = NDArray[np.uint8]
QR_ONLY = zxingcpp.BarcodeFormats(zxingcpp.BarcodeFormat.QRCodeModel2)  # no Micro QR or rMQR: tickets never use them
Transform = Callable[[Frame], Frame]


class Decoder(Protocol):
    """Reads QR payloads from a frame. Must not return a payload that is not in the frame."""

    @property
    def name(self) -> str: ...

    def decode(self, frame: Frame) -> list[str]: ...


def _unique(texts: Iterable[str]) -> list[str]:
    return list(dict.fromkeys(t for t in texts if t))


def to_grey(frame: Frame) -> Frame:
    if frame.ndim == 2:
        return frame
    return np.asarray(cv2.cvtColor(frame, cv2.COLOR_BGR2GRAY), dtype=np.uint8)


class ZxingDecoder:
    """zxing-cpp's ``read_barcodes``, restricted to QR Code Model 2.

    With its defaults it also tries the frame rotated, downscaled and inverted. ``binarizer`` picks how it turns
    grey into black and white: ``LocalAverage`` (default) copes with uneven light, ``GlobalHistogram`` with noise.
    """

    def __init__(
        self,
        *,
        binarizer: zxingcpp.Binarizer = zxingcpp.Binarizer.LocalAverage,
        try_invert: bool = True,
        try_downscale: bool = True,
        name: str = "zxing",
    ) -> None:
        self._binarizer = binarizer
        self._try_invert = try_invert
        self._try_downscale = try_downscale
        self._name = name

    @property
    def name(self) -> str:
        return self._name

    def decode(self, frame: Frame) -> list[str]:
        found = zxingcpp.read_barcodes(
            frame,
            formats=QR_ONLY,
            try_rotate=True,
            try_downscale=self._try_downscale,
            try_invert=self._try_invert,
            binarizer=self._binarizer,
        )
        return _unique(code.text for code in found if code.valid)


class PyzbarDecoder:
    """ZBar (pyzbar) on the greyscale frame, and on the inverted frame when the first look finds nothing.

    ZBar does not look for light-on-dark codes itself; a phone in dark mode shows exactly that.
    """

    def __init__(self, *, try_invert: bool = True, name: str = "pyzbar") -> None:
        self._try_invert = try_invert
        self._name = name

    @property
    def name(self) -> str:
        return self._name

    def decode(self, frame: Frame) -> list[str]:
        grey = to_grey(frame)
        found = self._read(grey)
        if not found and self._try_invert:
            found = self._read(np.asarray(cv2.bitwise_not(grey), dtype=np.uint8))
        return found

    @staticmethod
    def _read(grey: Frame) -> list[str]:
        texts = []
        for symbol in pyzbar.decode(grey, symbols=[pyzbar.ZBarSymbol.QRCODE]):
            try:
                texts.append(symbol.data.decode("utf-8"))
            except UnicodeDecodeError:
                continue  # not a ticket; a guessed transcoding could be a wrong payload
        return _unique(texts)


class Preprocessed:
    """``inner`` run on ``transform(frame)``."""

    def __init__(self, transform: Transform, inner: Decoder, *, name: str) -> None:
        self._transform = transform
        self._inner = inner
        self._name = name

    @property
    def name(self) -> str:
        return self._name

    def decode(self, frame: Frame) -> list[str]:
        return self._inner.decode(self._transform(frame))


class ChainDecoder:
    """Stages in order until one finds something.

    ``budget`` (seconds, measured with ``clock`` from the start of ``decode``) stops the chain from starting another
    stage once it is spent, so a hopeless frame costs at most about budget plus one stage. The first stage always
    runs.
    """

    def __init__(
        self,
        *stages: Decoder,
        budget: float | None = None,
        clock: Callable[[], float] = time.perf_counter,
        name: str = "chain",
    ) -> None:
        if not stages:
            raise ValueError("a chain needs at least one stage")
        self.stages = stages
        self._budget = budget
        self._clock = clock
        self._name = name
        self.last_stage: str | None = None  # the stage that read the last frame, for diagnostics and benchmarks

    @property
    def name(self) -> str:
        return self._name

    def decode(self, frame: Frame) -> list[str]:
        started = self._clock()
        self.last_stage = None
        for index, stage in enumerate(self.stages):
            if index and self._budget is not None and self._clock() - started > self._budget:
                break
            found = stage.decode(frame)
            if found:
                self.last_stage = stage.name
                return found
        return []


# --- frame transforms for second passes ---------------------------------------------------------------------------


def downscale(factor: float) -> Transform:
    """Smaller by ``factor`` (area averaging): blur shrinks with the image, and noise averages out."""

    def apply(frame: Frame) -> Frame:
        grey = to_grey(frame)
        size = (max(round(grey.shape[1] / factor), 1), max(round(grey.shape[0] / factor), 1))
        return np.asarray(cv2.resize(grey, size, interpolation=cv2.INTER_AREA), dtype=np.uint8)

    return apply


def upscale(factor: float) -> Transform:
    """Larger by ``factor`` (cubic): gives a far-away code's modules a few more pixels each."""

    def apply(frame: Frame) -> Frame:
        grey = to_grey(frame)
        return np.asarray(cv2.resize(grey, None, fx=factor, fy=factor, interpolation=cv2.INTER_CUBIC), dtype=np.uint8)

    return apply


def clahe(clip_limit: float = 3.0, tiles: int = 8) -> Transform:
    """Contrast-limited adaptive histogram equalisation: local contrast back into washed-out or dark patches."""
    equaliser = cv2.createCLAHE(clipLimit=clip_limit, tileGridSize=(tiles, tiles))

    def apply(frame: Frame) -> Frame:
        return np.asarray(equaliser.apply(to_grey(frame)), dtype=np.uint8)

    return apply


def sharpen(amount: float = 1.5, sigma: float = 2.0) -> Transform:
    """Unsharp mask: ``grey + amount * (grey - blurred)``, steepening the edges a blur has softened."""

    def apply(frame: Frame) -> Frame:
        grey = to_grey(frame)
        blurred = cv2.GaussianBlur(grey, (0, 0), sigma)
        return np.asarray(cv2.addWeighted(grey, 1 + amount, blurred, -amount, 0), dtype=np.uint8)

    return apply


def invert(frame: Frame) -> Frame:
    return np.asarray(cv2.bitwise_not(to_grey(frame)), dtype=np.uint8)


def denoise(sigma: float = 1.0) -> Transform:
    """A light Gaussian blur: sensor noise, JPEG blocks and screen moire out of the binariser's way."""

    def apply(frame: Frame) -> Frame:
        return np.asarray(cv2.GaussianBlur(to_grey(frame), (0, 0), sigma), dtype=np.uint8)

    return apply


# --- by name, for the settings --------------------------------------------------------------------------------------

MULTIPASS_BUDGET = 0.025  # seconds; keeps the worst frame near 35 ms on one core of the development machine


def zxing_multipass(*, budget: float | None = MULTIPASS_BUDGET) -> ChainDecoder:
    """zxing-cpp, then zxing-cpp again on up to four cheap transforms of a frame it could not read.

    Chosen by measurement (``bench/scan.py``) on frames zxing-cpp alone missed: a light denoise rescues noisy,
    JPEG-blocky and moire frames; an unsharp mask and a 2x upscale rescue blurred and far-away codes; CLAHE rescues
    dim and washed-out ones. Binariser variants, plain downscaling and ZBar rescued almost nothing extra there.
    """
    zxing = ZxingDecoder()
    return ChainDecoder(
        zxing,
        Preprocessed(denoise(1.0), zxing, name="zxing/denoise"),
        Preprocessed(sharpen(1.0, 1.0), zxing, name="zxing/sharpen"),
        Preprocessed(upscale(2.0), zxing, name="zxing/upscale"),
        Preprocessed(clahe(), zxing, name="zxing/clahe"),
        budget=budget,
        name="zxing-multipass",
    )


_FACTORIES: dict[str, Callable[[], Decoder]] = {
    "zxing-multipass": zxing_multipass,
    "zxing": ZxingDecoder,
    "pyzbar": PyzbarDecoder,
}
DECODER_NAMES: tuple[str, ...] = tuple(_FACTORIES)
DEFAULT_DECODER = "zxing-multipass"


def make_decoder(name: str = DEFAULT_DECODER) -> Decoder:
    """The decoder a settings value names: one of ``DECODER_NAMES``."""
    try:
        factory = _FACTORIES[name.strip().lower()]
    except KeyError:
        raise ValueError(f"unknown QR decoder {name!r}; choose one of {', '.join(DECODER_NAMES)}") from None
    return factory()
