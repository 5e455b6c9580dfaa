"""``usher demo``: the server on the embedded SQLite default, seeded with a demo organization."""

from __future__ import annotations


def run_demo(*, host: str, port: int, fresh: bool) -> int:
    raise NotImplementedError("the demo seed arrives with the event catalog")
