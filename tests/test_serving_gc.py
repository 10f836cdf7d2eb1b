"""``mockrt serve`` runs the garbage collector as a server wants it (mockrt.serve.state.serving_gc:
the start-up heap frozen, full passes rarer), and nothing else ever changes the collector of the
process it runs in: a test suite's mock in-process leaves it as it was."""

from __future__ import annotations

import gc
import subprocess
import sys

from mockrt.testing import MockRealtimeServer


def test_serving_gc_freezes_the_heap_and_makes_full_passes_rarer() -> None:
    code = (
        "import gc; from mockrt.serve.state import serving_gc; before = gc.get_threshold(); "
        "serving_gc(); after = gc.get_threshold(); "
        "assert gc.get_freeze_count() > 1000, gc.get_freeze_count(); "
        "assert after[:2] == before[:2] and after[2] == 10 * before[2], (before, after)"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


async def test_an_in_process_mock_leaves_the_collector_of_the_test_process_alone() -> None:
    thresholds, frozen = gc.get_threshold(), gc.get_freeze_count()
    async with MockRealtimeServer() as server:
        assert server.url
    assert (gc.get_threshold(), gc.get_freeze_count()) == (thresholds, frozen)
