"""Sync a paired kiosk's data directory without a screen: upload its outbox, download its scope, exit.

    python -m kiosk.sync.headless --data-dir DIR [--rounds N] [--push-batch K] [--pull-limit L]

For operations (bring a kiosk's replica up to date before doors open, or flush its uploads from a terminal) and for
the crash tests, which run it in a child process and kill it at random points. It prints one line per round. Exit
status: 0 when everything queued was uploaded and the download finished, 1 when the server could not be reached,
3 when the server revoked the device (the replica is wiped and the credentials removed).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

from kiosk.config import DataDir
from kiosk.store.replica import Replica
from kiosk.sync.client import DeviceApi
from kiosk.sync.runner import ClockOffsetHolder, SyncRunner
from kiosk.sync.transport import DeviceRevoked, TransportError
from shared.clock import SystemClock


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m kiosk.sync.headless", description=__doc__.split("\n\n")[0])
    parser.add_argument("--data-dir", type=Path, required=True)
    parser.add_argument("--rounds", type=int, default=3, help="at most this many rounds (stops once nothing is left)")
    parser.add_argument("--push-batch", type=int, default=None, help="mutations per upload request")
    parser.add_argument("--pull-limit", type=int, default=None, help="rows per downloaded page")
    args = parser.parse_args(argv)

    data_dir = DataDir(args.data_dir)
    credentials = data_dir.load_credentials()
    if credentials is None:
        print("this data directory has no paired kiosk", file=sys.stderr)
        return 2
    replica = Replica.open(data_dir.replica_path)
    clock = SystemClock()
    offset = ClockOffsetHolder.from_replica(replica)
    api = DeviceApi(credentials, clock=clock, offset=offset, pull_limit=args.pull_limit)
    options = {"push_batch": args.push_batch} if args.push_batch else {}
    runner = SyncRunner(replica, api, clock=clock, offset=offset, **options)
    try:
        for number in range(1, args.rounds + 1):
            result = runner.run_once()
            print(
                f"round {number}: uploaded {result.uploaded}, {result.pages} pages, {result.changes} changes",
                flush=True,
            )
            if replica.pending_count() == 0 and not result.uploaded and result.changes == 0:
                break
    except DeviceRevoked:
        data_dir.forget_device()
        print("revoked: replica wiped", flush=True)
        return 3
    except TransportError as exc:
        print(f"server not reachable: {exc}", file=sys.stderr)
        return 1
    finally:
        api.close()
        replica.close()
    return 0 if nothing_queued(data_dir) else 1


def nothing_queued(data_dir: DataDir) -> bool:
    """Whether nothing is left to upload."""
    replica = Replica.open(data_dir.replica_path)
    try:
        return replica.pending_count() == 0
    finally:
        replica.close()


if __name__ == "__main__":
    sys.exit(main())
