"""Keyed pseudonyms for case, episode and resource identifiers.

Identifiers of children and families are low-entropy (file numbers, health-card numbers): a
plain hash is reversed by hashing every possible number. A keyed hash (HMAC-SHA256) cannot be
reversed without the key, yet maps one identifier to the same pseudonym in every import made
with the same key, so batches can still be joined. Rotating the key breaks that link on
purpose; keep it outside the database (settings or a secret store).
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Callable

#: Shortest key accepted: 128 bits, so the key cannot be brute-forced either.
MIN_KEY_BYTES = 16

#: 16 hex characters = 64 bits. For a million distinct identifiers the chance that two share
#: a pseudonym is about 3 in 100 million, while the pseudonyms stay short enough to read.
DEFAULT_LENGTH = 16


def keyed_hasher(key: bytes, length: int = DEFAULT_LENGTH) -> Callable[[str], str]:
    """A function mapping an identifier to the first `length` hex digits of its HMAC-SHA256.

    The identifier is encoded as UTF-8 exactly as given (no trimming or case folding: the
    readers trim cells before calling it).
    """
    if len(key) < MIN_KEY_BYTES:
        raise ValueError(f"the pseudonymisation key must be at least {MIN_KEY_BYTES} bytes")
    if not 8 <= length <= 64:
        raise ValueError("length must be between 8 and 64 hex characters")

    def pseudonym(identifier: str) -> str:
        digest = hmac.new(key, identifier.encode("utf-8"), hashlib.sha256).hexdigest()
        return digest[:length]

    return pseudonym
