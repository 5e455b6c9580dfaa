"""Keeping the replica in step with the server, off the UI thread.

- ``transport``: what one upload or download round trip gives the engine, as replica values, and the errors.
- ``client``: the HTTP client (httpx) speaking the wire contract of ``shared.wire``.
- ``runner``: one sync round, no Qt: upload everything queued, then download every page after the cursor.
- ``engine``: the Qt side: a worker thread that runs rounds on a timer, backs off when the server cannot be
  reached, and reports the state the UI shows.
"""
