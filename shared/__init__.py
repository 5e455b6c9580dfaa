"""Rules and wire schemas shared by the Usher server and kiosk.

Nothing in this package may import FastAPI, SQLAlchemy or Qt: the same functions decide on the server and, offline,
on the kiosk, so their verdicts cannot drift apart. Every rule that depends on time takes ``now`` as an argument.

Where each rule lives:

* ``checkin``: may this ticket pass this gate now (``decide_check_in``), and the check-in settings.
* ``passages``: entries and exits: who is inside, annulling a mistaken scan, settling offline duplicate entries.
* ``qrtoken``: signed ticket tokens (the QR payload), keys and keyrings.
* ``codes``: confirmation codes, and telling a scanned token from a code.
* ``lifecycle``: status transitions and the status the clock says things should be in; what may be bought.
* ``capacity``: seats left. ``waitlist``: who is offered seats that open up, and who should book instead.
* ``packages``: what a package may hold, what a guest may choose, and whether all its components are available.
* ``refunds``, ``pricing``, ``money``: refund policy, quotes and fees, package prices, rounding and allocation.
* ``recurrence``: RRULE and multi-day expansion into occurrences.
* ``clock``, ``settings``, ``enums``: time at the edge, reading settings documents, the domain's enumerations.
"""
