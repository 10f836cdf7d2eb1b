"""mockrt.core.ids: live-looking random ids (protocol.md §7) and counting ids for tests."""

from __future__ import annotations

import os
import re
import select
import signal
import threading
import warnings
from collections import Counter

from mockrt.core import ids as ids_module
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
    held, done = threading.Event(), threading.Event()

    def hold() -> None:  # another thread is taking an id at the fork
        with ids_module._POOL._lock:
            held.set()
            done.wait(10)

    holder = threading.Thread(target=hold)
    holder.start()
    held.wait(5)
    read, write = os.pipe()
    with warnings.catch_warnings():  # Python 3.12+ warns of forking a process with threads
        warnings.simplefilter("ignore", DeprecationWarning)
        pid = os.fork()
    if pid == 0:  # the worker: the holder thread is not here, its lock must not be either
        os.write(write, ids.make("event").encode())
        os._exit(0)
    done.set()
    holder.join()
    ready, _, _ = select.select([read], [], [], 5)
    if not ready:
        os.kill(pid, signal.SIGKILL)
    os.waitpid(pid, 0)
    child = os.read(read, 100).decode() if ready else ""
    os.close(read)
    os.close(write)
    assert child.startswith("event_") and child != ids.make("event")


def test_threads_take_ids_from_the_pool_one_at_a_time() -> None:
    ids, made = RandomIds(), []
    pool = ids_module._POOL
    with pool._lock:  # another thread is taking an id
        thread = threading.Thread(target=lambda: made.append(ids.make("item")))
        thread.start()
        thread.join(0.2)
        assert thread.is_alive() and not made  # it waits for the pool
    thread.join(5)
    assert len(made) == 1


def test_random_ephemeral_keys_are_ek_and_32_lowercase_hex_digits() -> None:
    assert re.fullmatch(r"ek_[0-9a-f]{32}", RandomIds().ephemeral_key())


def test_counting_ids_count_per_prefix() -> None:
    ids = CountingIds()
    assert [ids.make("event"), ids.make("item"), ids.make("event")] == [
        "event_0001",
        "item_0001",
        "event_0002",
    ]
