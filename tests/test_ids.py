"""mockrt.core.ids: live-looking random ids (protocol.md §7) and counting ids for tests."""

from __future__ import annotations

import os
import re
from collections import Counter

from mockrt.core.ids import CountingIds, RandomIds


def test_random_ids_are_the_prefix_and_21_base62_characters_never_repeated() -> None:
    ids = RandomIds()
    made = [ids.make("event") for _ in range(2000)]
    assert all(re.fullmatch(r"event_[0-9A-Za-z]{21}", i) for i in made)
    assert len(set(made)) == len(made)
    assert len({c for i in made for c in i[6:]}) == 62  # every base62 character turns up


def test_random_id_characters_are_equally_likely() -> None:
    ids = RandomIds()
    counts = Counter(c for _ in range(4000) for c in ids.make("item")[5:])
    # bytes 248-255 are dropped: kept, they would make "0".."7" a quarter more likely
    first = sum(counts[c] for c in "01234567") / 8
    rest = sum(counts[c] for c in counts if c not in "01234567") / 54
    assert abs(first - rest) < 0.1 * rest


def test_a_forked_worker_draws_ids_of_its_own() -> None:
    ids = RandomIds()
    ids.make("event")  # the pool is full when the worker forks
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # the worker
        os.write(write, ids.make("event").encode())
        os._exit(0)
    os.waitpid(pid, 0)
    child = os.read(read, 100).decode()
    os.close(read)
    os.close(write)
    assert child.startswith("event_") and child != ids.make("event")


def test_random_ephemeral_keys_are_ek_and_32_lowercase_hex_digits() -> None:
    assert re.fullmatch(r"ek_[0-9a-f]{32}", RandomIds().ephemeral_key())


def test_counting_ids_count_per_prefix() -> None:
    ids = CountingIds()
    assert [ids.make("event"), ids.make("item"), ids.make("event")] == [
        "event_0001",
        "item_0001",
        "event_0002",
    ]
