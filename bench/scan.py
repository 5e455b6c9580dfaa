"""Scanning benchmark: how many webcam-like frames each QR decoder reads, how fast, and that it never misreads.

    .venv/bin/python bench/scan.py                   # all decoders, 40 frames per category (680 frames)
    .venv/bin/python bench/scan.py --per-category 5  # a quick look

Frames come from ``kiosk.camera.synthetic`` (fixed seed): 14 categories with one code each (blur, glare, tilt,
phone screens in light and dark mode, far-away codes, ...) and 3 without any (clutter, QR-like decoys, other
symbologies). Every decoder sees every frame, interleaved frame by frame so that load on a shared machine hits all
of them alike. A frame counts as decoded when the decoder returns exactly its payload; any other payload is a wrong
read, and anything read from a no-code frame is a false positive. Both must stay at zero.

Times are per frame, wall clock, one thread (``--threads``; OpenCV's own pool is limited to it).

``--verdict`` adds frame to check-in verdict against a 100,000-ticket replica (``verdict_stage``):

    .venv/bin/python bench/scan.py --per-category 5 --decoders zxing-multipass --verdict
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import sys
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from importlib.metadata import version
from typing import Any

import cv2
import numpy as np

from kiosk.camera.decoders import DECODER_NAMES, ChainDecoder, Decoder, make_decoder
from kiosk.camera.synthetic import ALL_CATEGORIES, CODE_CATEGORIES, SyntheticFrame, generate_frames


@dataclass
class Tally:
    """What one decoder did over the frame set."""

    name: str
    seconds: list[float] = field(default_factory=list)
    seconds_no_code: list[float] = field(default_factory=list)
    decoded: Counter[str] = field(default_factory=Counter)  # by category
    decoded_seeds: set[tuple[str, int]] = field(default_factory=set)
    wrong: int = 0  # a payload that was not in the frame, on a frame with a code
    false_positives: int = 0  # anything at all from a frame without a code
    stages: Counter[str] = field(default_factory=Counter)  # for chains: which stage read the frame

    def record(self, frame: SyntheticFrame, found: list[str], seconds: float, stage: str | None) -> None:
        self.seconds.append(seconds)
        if not frame.payloads:
            self.seconds_no_code.append(seconds)
            self.false_positives += bool(found)
            return
        if set(found) - set(frame.payloads):
            self.wrong += 1
        elif set(found) == set(frame.payloads):
            self.decoded[frame.category] += 1
            self.decoded_seeds.add((frame.category, frame.seed))
            if stage is not None:
                self.stages[stage] += 1


def percentile(values: Sequence[float], q: float) -> float:
    return float(np.percentile(np.asarray(values), q)) if values else float("nan")


def measure(frames: Sequence[SyntheticFrame], decoders: Sequence[Decoder]) -> list[Tally]:
    tallies = [Tally(d.name) for d in decoders]
    for decoder in decoders:  # warm up: first calls load tables and allocate
        for frame in frames[:3]:
            decoder.decode(frame.image)
    for frame in frames:
        for decoder, tally in zip(decoders, tallies, strict=True):
            started = time.perf_counter()
            found = decoder.decode(frame.image)
            elapsed = time.perf_counter() - started
            stage = decoder.last_stage if isinstance(decoder, ChainDecoder) else None
            tally.record(frame, found, elapsed, stage)
    return tallies


def report(frames: Sequence[SyntheticFrame], tallies: Sequence[Tally]) -> None:
    with_code = sum(1 for f in frames if f.payloads)
    by_category = Counter(f.category for f in frames)
    print(f"{len(frames)} frames, 1280x720: {with_code} with a code, {len(frames) - with_code} without\n")

    print("| decoder | frames decoded | median / p95 / max per frame | no-code frames: median | wrong | false pos. |")
    print("|---|---|---|---|---|---|")
    for t in tallies:
        decoded = sum(t.decoded.values())
        ms = [s * 1000 for s in t.seconds]
        idle = statistics.median(t.seconds_no_code) * 1000 if t.seconds_no_code else float("nan")
        print(
            f"| {t.name} | {decoded}/{with_code} ({100 * decoded / with_code:.1f}%) "
            f"| {statistics.median(ms):.1f} / {percentile(ms, 95):.1f} / {max(ms):.1f} ms "
            f"| {idle:.1f} ms | {t.wrong} | {t.false_positives} |"
        )

    print("\nDecoded per category:\n")
    print("| category | frames | " + " | ".join(t.name for t in tallies) + " |")
    print("|---|---|" + "---|" * len(tallies))
    for category in ALL_CATEGORIES:
        if category in CODE_CATEGORIES:
            cells = [str(t.decoded[category]) for t in tallies]
        else:
            cells = ["no code" for _ in tallies]
        print(f"| {category} | {by_category[category]} | " + " | ".join(cells) + " |")

    by_name = {t.name: t for t in tallies}
    zxing = by_name.get("zxing")
    for t in tallies:
        if zxing is None or t is zxing or not t.stages:
            continue
        gained = t.decoded_seeds - zxing.decoded_seeds
        lost = zxing.decoded_seeds - t.decoded_seeds
        base, this = len(zxing.decoded_seeds), len(t.decoded_seeds)
        print(
            f"\n{t.name} vs zxing alone, same frames, same run: {this} vs {base} decoded, "
            f"ratio {this / base:.3f} (+{len(gained)} rescued, -{len(lost)} lost)"
        )
        rescued_by = Counter(category for category, _ in gained)
        print(f"  rescued per category: {dict(rescued_by)}")
        print(f"  read by stage: {dict(t.stages)}")


VERDICT_CATEGORIES = ("clean", "rotated", "perspective", "phone", "phone_dark", "dim", "jpeg", "noise", "small")


def verdict_stage(decoder: Decoder, *, tickets: int, frames_per_category: int, synchronous: str) -> None:
    """Frame to check-in verdict, p95 target 50 ms, against a local replica of ``tickets`` tickets.

    The real pipeline, timed per frame: decode (``decoder``) -> classify -> verify the token's signature ->
    replica lookups (ticket, occurrence, history) -> ``shared.checkin.decide_check_in`` -> the local write (the
    attempt, the passage and the outbox row in one transaction, committed with ``synchronous`` on a real disk).
    Each frame carries the signed token of a different ticket of the replica, so every verdict admits someone.
    """
    import tempfile
    import uuid
    from datetime import timedelta
    from pathlib import Path

    from kiosk.camera.synthetic import render_frame
    from kiosk.checkin.model import Scan, ScanSource
    from kiosk.checkin.offline import OfflineChecker
    from kiosk.store.replica import Replica
    from kiosk.tools.sample import catalog, make_door, sample_tickets
    from shared import wire
    from shared.checkin import Gate
    from shared.codes import classify_scan
    from shared.passages import Direction

    door = make_door()
    with tempfile.TemporaryDirectory(dir=Path(__file__).parent) as folder:
        replica = Replica.open(Path(folder) / "replica.sqlite3", synchronous=synchronous)
        started = time.perf_counter()
        replica.apply_page(catalog(door))
        rows = list(sample_tickets(door, tickets))
        for start in range(0, len(rows), 20_000):
            page = wire.PullPage(door.start, f"c{start}", True, tables={"tickets": rows[start : start + 20_000]})
            replica.apply_page(page)
        print(f"\nreplica: {tickets:,} tickets written in {time.perf_counter() - started:.1f} s")

        picks = [rows[(i * 7919) % len(rows)] for i in range(frames_per_category * len(VERDICT_CATEGORIES))]
        picks = [r for r in picks if r[3] == "confirmed"]
        frames = []
        for index, ticket in enumerate(picks):
            category = VERDICT_CATEGORIES[index % len(VERDICT_CATEGORIES)]
            token = door.token(uuid.UUID(hex=ticket[0]), ticket_type=uuid.UUID(hex=ticket[2]))
            frames.append((render_frame(category, 10_000 + index, payload=token), token))
        print(f"rendered {len(frames)} frames at 1280x720 with real signed tokens ({', '.join(VERDICT_CATEGORIES)})")

        gate = Gate(device_id=uuid.uuid4(), name="Bench door", occurrence_ids=frozenset({door.jazz}))
        checker = OfflineChecker(replica)
        now = door.start + timedelta(minutes=30)
        for frame, _token in frames[:3]:  # warm up the decoder, the keyring cache and the connection pool
            decoder.decode(frame.image)
        total: list[float] = []
        check: list[float] = []
        admitted = missed = wrong = 0
        for frame, token in frames:
            began = time.perf_counter()
            found = decoder.decode(frame.image)
            decoded = time.perf_counter()
            if token not in found:
                missed += 1
                wrong += bool(found)
                continue
            classify_scan(token)
            verdict = checker.decide(
                Scan(ScanSource.CAMERA, uuid.uuid4().hex, now, text=token), gate=gate, direction=Direction.ENTRY
            )
            ended = time.perf_counter()
            admitted += verdict.outcome.ok
            total.append((ended - began) * 1000)
            check.append((ended - decoded) * 1000)
        searches = search_timings(replica, door.jazz)
        replica.close()

    print(
        f"\nframe to verdict, {decoder.name}, synchronous={synchronous}: {len(total)} verdicts "
        f"({admitted} admitted), {missed} frames not decoded, {wrong} wrong reads\n"
    )
    print("| stage | p50 | p95 | max |")
    print("|---|---|---|---|")
    for label, values in (("frame to verdict (decode + check + write)", total), ("check + write only", check)):
        print(f"| {label} | {percentile(values, 50):.1f} ms | {percentile(values, 95):.1f} ms | {max(values):.1f} ms |")
    print(f"\nattendee search over {tickets:,} tickets (median of {SEARCH_ROUNDS} runs per query)\n")
    print("| query | accent-folding search | plain LIKE, same rows | ratio |")
    print("|---|---|---|---|")
    for query, (folded, plain) in searches.items():
        print(f"| {query} | {folded:.1f} ms | {plain:.1f} ms | {folded / plain:.2f} |")


SEARCH_ROUNDS = 7
SEARCH_QUERIES = ("lovelace", "alvarez", "José", "grace.t", "zzzz")


def search_timings(replica: Any, occurrence_id: Any) -> dict[str, tuple[float, float]]:
    """Median ms of ``Replica.search`` per query, and of the same query with the plain ASCII ``LIKE`` it had before
    accents were ignored, as the baseline."""
    from kiosk.store.replica import ALL_TICKETS

    ids = [occurrence_id]
    timings: dict[str, tuple[float, float]] = {}
    for query in SEARCH_QUERIES:
        pattern = f"%{query}%"
        folded: list[float] = []
        plain: list[float] = []
        for _ in range(SEARCH_ROUNDS):
            began = time.perf_counter()
            replica.search(query, ids)
            folded.append((time.perf_counter() - began) * 1000)
            began = time.perf_counter()
            with replica.engine.connect() as c:
                c.exec_driver_sql(
                    f"SELECT t.*, tt.name AS type_name FROM {ALL_TICKETS} t"
                    " LEFT JOIN ticket_types tt ON tt.id = t.ticket_type_id WHERE t.occurrence_id = ?"
                    " AND (t.name LIKE ? OR t.email LIKE ? OR t.code LIKE ?) ORDER BY t.name, t.id LIMIT 50",
                    (occurrence_id.hex, pattern, pattern, "\x00"),
                ).all()
            plain.append((time.perf_counter() - began) * 1000)
        timings[query] = (percentile(folded, 50), percentile(plain, 50))
    return timings


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--per-category", type=int, default=40, help="frames per category (17 categories)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument(
        "--decoders",
        default=",".join(("zxing", "pyzbar", "zxing-multipass")),
        help=f"comma-separated, from: {', '.join(DECODER_NAMES)}",
    )
    parser.add_argument("--threads", type=int, default=1, help="OpenCV threads (default 1: per-core figures)")
    parser.add_argument("--verdict", action="store_true", help="also time frame to verdict against a replica")
    parser.add_argument("--tickets", type=int, default=100_000, help="replica size for --verdict")
    parser.add_argument("--verdict-frames", type=int, default=20, help="frames per category for --verdict")
    parser.add_argument("--synchronous", default="FULL", choices=("FULL", "NORMAL"), help="SQLite sync for --verdict")
    args = parser.parse_args(argv)

    cv2.setNumThreads(args.threads)
    decoders = [make_decoder(name) for name in args.decoders.split(",")]
    print(
        f"Python {platform.python_version()}, zxing-cpp {version('zxing-cpp')}, pyzbar {version('pyzbar')}, "
        f"OpenCV {cv2.__version__}, "
        f"{os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.2f}, OpenCV threads {args.threads}"
    )
    started = time.perf_counter()
    frames = list(generate_frames(args.per_category, seed=args.seed))
    print(f"rendered {len(frames)} frames in {time.perf_counter() - started:.0f} s (seed {args.seed})")
    started = time.perf_counter()
    tallies = measure(frames, decoders)
    print(f"decoded in {time.perf_counter() - started:.0f} s\n")
    report(frames, tallies)
    print(f"\nload average after: {os.getloadavg()[0]:.2f}")
    if args.verdict:
        verdict_stage(
            decoders[-1], tickets=args.tickets, frames_per_category=args.verdict_frames, synchronous=args.synchronous
        )
    failed = any(t.wrong or t.false_positives for t in tallies)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
