"""The packaged kiosk's entry point: ``usher-kiosk [--data-dir ...] [--camera ...] [--exit-after N]``."""

from kiosk.app import main

if __name__ == "__main__":
    raise SystemExit(main())
