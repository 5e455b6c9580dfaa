"""Rules and wire schemas shared by the Usher server and kiosk.

Nothing in this package may import FastAPI, SQLAlchemy or Qt: the same functions decide on the server and, offline,
on the kiosk, so their verdicts cannot drift apart. Every rule that depends on time takes ``now`` as an argument.
"""
