from __future__ import annotations

import numpy as np
import pytest
import zxingcpp

from kiosk.camera.decoders import (
    DECODER_NAMES,
    DEFAULT_DECODER,
    ChainDecoder,
    Decoder,
    Preprocessed,
    PyzbarDecoder,
    ZxingDecoder,
    make_decoder,
    to_grey,
)
from kiosk.camera.synthetic import Image, barcode_modules, code_frame, qr_modules, random_token
from tests.kiosk.camera.conftest import TOKEN_A


@pytest.mark.parametrize("name", DECODER_NAMES)
def test_every_decoder_reads_printed_tickets(name: str, paper_frames: list[tuple[Image, str]]) -> None:
    decoder = make_decoder(name)
    for frame, payload in paper_frames:
        assert decoder.decode(frame) == [payload]


@pytest.mark.parametrize("name", DECODER_NAMES)
def test_every_decoder_reads_dark_mode_phone_screens(name: str, dark_mode_frames: list[tuple[Image, str]]) -> None:
    decoder = make_decoder(name)
    for frame, payload in dark_mode_frames:
        assert decoder.decode(frame) == [payload]


def test_pyzbar_reads_dark_mode_only_with_its_inverted_retry(dark_mode_frames: list[tuple[Image, str]]) -> None:
    frame, payload = dark_mode_frames[0]
    assert PyzbarDecoder(try_invert=False).decode(frame) == []
    assert PyzbarDecoder().decode(frame) == [payload]


def test_decoders_accept_greyscale_frames(paper_frames: list[tuple[Image, str]]) -> None:
    frame, payload = paper_frames[0]
    for name in DECODER_NAMES:
        assert make_decoder(name).decode(to_grey(frame)) == [payload]


@pytest.mark.parametrize("name", DECODER_NAMES)
def test_no_decoder_reads_anything_without_a_qr_code(name: str, no_code_frames: list[Image]) -> None:
    decoder = make_decoder(name)
    assert [decoder.decode(frame) for frame in no_code_frames] == [[] for _ in no_code_frames]


@pytest.mark.parametrize(
    "symbology", [zxingcpp.BarcodeFormat.MicroQRCode, zxingcpp.BarcodeFormat.PDF417, zxingcpp.BarcodeFormat.DataMatrix]
)
def test_decoders_ignore_other_symbologies_that_are_readable(symbology: zxingcpp.BarcodeFormat) -> None:
    token = random_token(np.random.default_rng(9))
    content = {zxingcpp.BarcodeFormat.MicroQRCode: "K7QF2M9XA", zxingcpp.BarcodeFormat.PDF417: token[:40]}.get(
        symbology, token
    )
    frame = code_frame(barcode_modules(content, symbology), seed=4)
    # the symbol really is readable, by a reader that accepts every format ...
    assert [code.text for code in zxingcpp.read_barcodes(frame)] == [content]
    # ... but a ticket is a QR code, and nothing else counts
    for name in DECODER_NAMES:
        assert make_decoder(name).decode(frame) == []


def test_default_decoder_is_the_zxing_multipass_chain() -> None:
    assert DEFAULT_DECODER == "zxing-multipass"
    assert make_decoder().name == "zxing-multipass"
    assert make_decoder(" ZXING ").name == "zxing"


def test_unknown_decoder_name_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown QR decoder 'zbar'"):
        make_decoder("zbar")


class _Scripted:
    """A stage that answers from a script and records the frames it saw."""

    def __init__(self, name: str, answer: list[str], cost: float = 0.0, clock: list[float] | None = None) -> None:
        self.name = name
        self._answer = answer
        self._cost = cost
        self._clock = clock
        self.calls = 0

    def decode(self, frame: Image) -> list[str]:
        self.calls += 1
        if self._clock is not None:
            self._clock[0] += self._cost
        return list(self._answer)


def test_chain_stops_at_the_first_stage_that_reads_something() -> None:
    first, second, third = _Scripted("a", []), _Scripted("b", ["X"]), _Scripted("c", ["Y"])
    chain = ChainDecoder(first, second, third)
    assert chain.decode(np.zeros((4, 4), np.uint8)) == ["X"]
    assert (first.calls, second.calls, third.calls) == (1, 1, 0)
    assert chain.last_stage == "b"


def test_chain_starts_no_stage_once_its_budget_is_spent() -> None:
    now = [0.0]
    slow = _Scripted("slow", [], cost=0.030, clock=now)
    late = _Scripted("late", ["X"], clock=now)
    chain = ChainDecoder(slow, late, budget=0.025, clock=lambda: now[0])
    assert chain.decode(np.zeros((4, 4), np.uint8)) == []
    assert late.calls == 0
    assert chain.last_stage is None


def test_chain_always_runs_its_first_stage() -> None:
    now = [0.0]
    only = _Scripted("only", ["X"], clock=now)
    assert ChainDecoder(only, budget=0.0, clock=lambda: now[0]).decode(np.zeros((4, 4), np.uint8)) == ["X"]


def test_preprocessed_stage_decodes_the_transformed_frame(paper_frames: list[tuple[Image, str]]) -> None:
    frame, _ = paper_frames[0]
    blanked: Decoder = Preprocessed(lambda f: np.zeros_like(to_grey(f)), ZxingDecoder(), name="blank")
    assert blanked.decode(frame) == []
    assert blanked.name == "blank"


def test_a_code_seen_twice_in_one_frame_is_returned_once() -> None:
    code = qr_modules(TOKEN_A)
    gap = np.zeros((code.shape[0], 8), dtype=bool)
    twice = np.hstack([code, gap, code])
    frame = code_frame(twice, seed=2)
    assert len(zxingcpp.read_barcodes(frame)) == 2
    assert ZxingDecoder().decode(frame) == [TOKEN_A]
