"""Deciding a scan: online through the server's redeem call, offline from the replica by the rules in ``shared``.

- ``model``: the values in and out (``Scan``, ``Verdict``) and the check-in mutation queued for upload.
- ``offline``: ``OfflineChecker``, ``shared.checkin.decide_check_in`` fed from the replica and the local log.
- ``service``: ``CheckInService``, online first with a short timeout, then offline with the same nonce.
- ``wording``: what staff read on the verdict screen.
"""
