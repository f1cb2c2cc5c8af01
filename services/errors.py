"""A refusal carries a message id (translated by the handler) and its parameters."""

from __future__ import annotations

from typing import Any


class Refusal(Exception):
    """The request is understood and refused; nothing was changed.

    `keep`: the refusal itself was recorded (an audited attempt): what the transaction holds is
    committed before the refusal is answered."""

    keep = False

    def __init__(self, message: str, **params: Any) -> None:
        super().__init__(message)
        self.message = message
        self.params = params
