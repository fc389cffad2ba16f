"""The platform's refusals: one exception type carrying a protocol error code, so that every
layer (store, ledger, routes, command line) refuses the same way and the HTTP layer maps the
code to a status once (``api.http.STATUS``)."""
from __future__ import annotations


class CentralError(Exception):
    """A refusal with a protocol error code (``sync.protocol.ErrorCode``)."""

    def __init__(self, code: str, message: str, *, seq: int | None = None,
                 expected_seq: int | None = None):
        super().__init__(message)
        self.code, self.message, self.seq, self.expected_seq = code, message, seq, expected_seq
