"""Seeds derived from a master seed, so that a run's seed depends only on what the run is.

Run ``k`` of a Monte Carlo of master seed ``S`` uses ``derive_seed(S, k)``; a batch will use
``derive_seed(S, design_point, replication)``. The seed of a run is then a function of its
coordinates alone — never of which worker ran it, in which order, or in chunks of what size.

The derivation hashes a fixed byte encoding of the integers with BLAKE2b (``hashlib``, in the
standard library everywhere), so it is the same on every Python version and platform: unlike
``hash()``, it is not salted per process, and unlike ``random.Random(S).getrandbits``, it does not
depend on the generator's algorithm. The values are pinned by ``tests/test_seeds.py``; changing
the encoding or the personalisation string changes every derived seed, so do not.
"""

from __future__ import annotations

import hashlib

#: BLAKE2b personalisation (at most 16 bytes): separates dipsim's seeds from any other use of
#: the same hash on the same numbers. Part of the derivation: never change it.
_PERSON = b"dipsim.seed.v1"

#: Derived seeds are in ``range(SEED_LIMIT)``: 63 bits, so they fit a signed 64-bit integer
#: (a Parquet or SQL column, a NumPy ``int64``) as well as ``random.Random``.
SEED_LIMIT = 2**63


def derive_seed(master: int, *keys: int) -> int:
    """A 63-bit seed derived from ``master`` and ``keys`` by hashing; stable everywhere.

    The integers are written in decimal ASCII, joined by commas (``"3,17"`` for
    ``derive_seed(3, 17)``), hashed with BLAKE2b (8-byte digest, personalisation
    ``b"dipsim.seed.v1"``), and the digest read as a big-endian unsigned integer with its lowest
    bit dropped. The text encoding is unambiguous for integers of any size and sign, and the
    number of keys is part of it: ``derive_seed(1, 2)``, ``derive_seed(12)`` and
    ``derive_seed(1, 2, 0)`` are unrelated.

    Args:
        master: The master seed (``--seed``).
        keys: The run's coordinates, e.g. its index ``k`` in a Monte Carlo.

    Returns:
        An integer ``0 <= seed < 2**63``.

    Raises:
        TypeError: If an argument is not an ``int`` (``bool`` included: ``True`` is not a seed).
    """
    values = (master, *keys)
    for value in values:
        if not isinstance(value, int) or isinstance(value, bool):
            raise TypeError(f"seeds are derived from integers, not {value!r}")
    data = ",".join(str(v) for v in values).encode("ascii")
    digest = hashlib.blake2b(data, digest_size=8, person=_PERSON).digest()
    return int.from_bytes(digest, "big") >> 1


__all__ = ["SEED_LIMIT", "derive_seed"]
