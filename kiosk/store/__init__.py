"""The kiosk's local replica: what the server sent (occurrences, ticket types, tickets, keys), what this device did
(passages, every check-in attempt) and the durable outbox of mutations waiting for upload.

- ``db``: opening the SQLite file (WAL, ``synchronous=FULL``, a busy timeout) and time columns.
- ``schema``: the tables as the newest migration leaves them.
- ``migrations``: numbered steps, the version kept in ``PRAGMA user_version``.
- ``replica``: ``Replica``, the one object the rest of the kiosk talks to.
- ``search``: matching typed names, emails and codes, accents and case ignored.
"""
