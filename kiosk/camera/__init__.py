"""The kiosk's scanning pipeline: frame sources, QR decoders, "counts once" de-duplication and the Qt worker.

Everything here but ``worker`` is free of Qt. See each module's docstring; ``worker.CameraScanner`` is what a screen
holds.
"""
