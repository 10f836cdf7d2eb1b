"""mockrt.core.ids: live-looking random ids (protocol.md §7) and counting ids for tests."""

from __future__ import annotations

import re

from mockrt.core.ids import CountingIds, RandomIds


def test_random_ids_are_the_prefix_and_21_base62_characters_never_repeated() -> None:
    ids = RandomIds()
    made = [ids.make("event") for _ in range(2000)]
    assert all(re.fullmatch(r"event_[0-9A-Za-z]{21}", i) for i in made)
    assert len(set(made)) == len(made)
    assert len({c for i in made for c in i[6:]}) == 62  # every base62 character turns up


def test_random_ephemeral_keys_are_ek_and_32_lowercase_hex_digits() -> None:
    assert re.fullmatch(r"ek_[0-9a-f]{32}", RandomIds().ephemeral_key())


def test_counting_ids_count_per_prefix() -> None:
    ids = CountingIds()
    assert [ids.make("event"), ids.make("item"), ids.make("event")] == [
        "event_0001",
        "item_0001",
        "event_0002",
    ]
