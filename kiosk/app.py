"""``usher kiosk``: build the kiosk from its parts and run it.

    usher kiosk                                   # the user's data dir; pairing screen on first run
    usher kiosk --data-dir /tmp/k1 --camera file:/path/door.mp4?loop --decoder zxing
    usher kiosk --server http://127.0.0.1:8000    # prefill the pairing screen's server address

Everything with time or I/O is made here and handed down: the clock, the data directory, the HTTP transport, the
camera source and decoder (from the settings), the sound player.
"""

from __future__ import annotations

import argparse
import functools
import logging
import os
import sys
from collections.abc import Sequence
from pathlib import Path

from kiosk.config import DataDir, KioskSettings, default_data_dir


def make_scanner(settings: KioskSettings) -> object:
    from kiosk.camera.decoders import make_decoder
    from kiosk.camera.sources import open_source
    from kiosk.camera.worker import CameraScanner

    return CameraScanner(open_source(settings.camera_source), make_decoder(settings.decoder))


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--data-dir", type=Path, default=None, help=f"default: {default_data_dir()}")
    parser.add_argument(
        "--camera", default=None, help="frame source: camera:0, camera:0@1280x720, file:PATH?loop, folder:PATH"
    )
    parser.add_argument("--decoder", default=None, help="zxing-multipass (default), zxing or pyzbar")
    parser.add_argument("--server", default=None, help="server address to prefill on the pairing screen")
    parser.add_argument("--offline", action="store_true", help="start in 'work offline' mode")
    parser.add_argument("--fullscreen", action="store_true", help="open full screen")
    parser.add_argument(
        "--exit-after", type=float, default=None, metavar="SECONDS", help="quit after this long (smoke tests)"
    )


def run(args: argparse.Namespace) -> int:
    if (
        not os.environ.get("DISPLAY")
        and not os.environ.get("WAYLAND_DISPLAY")
        and not os.environ.get("QT_QPA_PLATFORM")
    ):
        print("usher kiosk needs a display (or QT_QPA_PLATFORM=offscreen)", file=sys.stderr)
        return 2
    from PySide6.QtWidgets import QApplication

    from kiosk.controller import Controller
    from kiosk.sound import SystemSoundPlayer
    from kiosk.sync.client import connector, pair
    from kiosk.ui.window import MainWindow
    from shared.clock import SystemClock

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    logging.getLogger("httpx").setLevel(logging.WARNING)  # one line per request drowns what matters
    data_dir = DataDir(args.data_dir or default_data_dir())
    settings = data_dir.load_settings()
    if args.camera:
        settings.camera_source = args.camera
    if args.decoder:
        settings.decoder = args.decoder
    if args.offline:
        settings.work_offline = True
    data_dir.save_settings(settings)

    app = QApplication.instance() or QApplication(sys.argv[:1])
    clock = SystemClock()
    controller = Controller(
        data_dir,
        clock=clock,
        sound=SystemSoundPlayer(data_dir.sounds_dir, beep=QApplication.beep),
        connect=connector(clock=clock),
        pair=functools.partial(pair),
        make_scanner=make_scanner,  # type: ignore[arg-type]
    )
    window = MainWindow(controller)
    if args.server:
        window.pairing.server_url.setText(args.server)
    window.resize(1280, 800)
    if args.fullscreen or settings.locked:
        window.showFullScreen()
    else:
        window.show()
    controller.start()
    _close_on_signals(window)
    if args.exit_after is not None:
        from PySide6.QtCore import QTimer

        from kiosk.camera.decoders import make_decoder

        make_decoder(settings.decoder)  # a smoke run also proves that the decoders load (a packaged app's imports)
        print(f"usher kiosk: main window open ({window.width()}x{window.height()}), decoder {settings.decoder} loaded")
        sys.stdout.flush()
        QTimer.singleShot(round(args.exit_after * 1000), window.force_close)
    return int(app.exec())


def _close_on_signals(window: object) -> None:
    """Ctrl-C (SIGINT) and SIGTERM close the window cleanly: camera, sync and replica shut down. Qt's event loop
    does not run Python code by itself, so a timer gives the interpreter a moment to see the signal."""
    import signal

    from PySide6.QtCore import QTimer

    def close(_signal: int, _frame: object) -> None:
        window.force_close()  # type: ignore[attr-defined]

    signal.signal(signal.SIGINT, close)
    signal.signal(signal.SIGTERM, close)
    timer = QTimer(window)  # type: ignore[arg-type]
    timer.timeout.connect(lambda: None)
    timer.start(250)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="usher kiosk", description="The Usher door kiosk.")
    add_arguments(parser)
    return run(parser.parse_args(argv))


if __name__ == "__main__":
    raise SystemExit(main())
