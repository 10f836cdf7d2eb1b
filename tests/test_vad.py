"""mockrt.core.vad: deterministic turn detection, checked against independent ground truth."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mockrt.core import vad
from mockrt.core.audio import FORMATS, AudioFormatSpec
from mockrt.core.energy import alaw_table, ulaw_table
from mockrt.core.vad import (
    SEMANTIC_EAGERNESS,
    IdleTimeout,
    SpeechStarted,
    SpeechStopped,
    TurnDetector,
    VadConfig,
    VadEvent,
)
from tests import audio_gen

PCM = FORMATS["audio/pcm"]
FRAME_MS = 10
SPEECH_FILE = Path(__file__).parent / "data" / "speech.pcm"
# tests/data/README.md: voiced regions of speech.pcm at -35 dBFS over 10 ms frames.
SPEECH_GROUND_TRUTH_MS = [(550, 1980), (3550, 4970)]


# --- helpers -----------------------------------------------------------------------------------


def run(
    raw: bytes,
    config: VadConfig | None = None,
    chunk_bytes: int | None = None,
    spec: AudioFormatSpec = PCM,
) -> list[VadEvent]:
    detector = TurnDetector(config or VadConfig(), spec)
    step = chunk_bytes or max(1, len(raw))
    events: list[VadEvent] = []
    for i in range(0, len(raw), step):
        events.extend(detector.feed(raw[i : i + step]))
    assert detector.position_ms == pytest.approx(len(raw) / spec.bytes_per_ms)
    return events


def run_cut(raw: bytes, cuts: list[int], config: VadConfig) -> list[VadEvent]:
    detector = TurnDetector(config, PCM)
    events: list[VadEvent] = []
    bounds = [0, *sorted(cuts), len(raw)]
    for a, b in zip(bounds, bounds[1:], strict=False):
        events.extend(detector.feed(raw[a:b]))
    return events


def ground_truth(
    layout: list[tuple[int, int]], total_ms: int, config: VadConfig
) -> list[tuple[str, int]]:
    """Expected events from burst positions alone (bursts longer than min_speech_ms, loud)."""
    turns: list[list[int]] = []
    for start, end in sorted(layout):
        if turns and start - turns[-1][1] < config.silence_duration_ms:
            turns[-1][1] = end  # the pause is too short to stop the turn
        else:
            turns.append([start, end])
    expected: list[tuple[str, int]] = []
    previous_end = 0
    for onset, last_voice in turns:
        expected.append(("start", max(onset - config.prefix_padding_ms, previous_end, 0)))
        stop = last_voice + config.silence_duration_ms
        if stop > total_ms:
            break
        expected.append(("stop", stop))
        previous_end = stop
    return expected


def as_pairs(events: list[VadEvent]) -> list[tuple[str, int]]:
    out: list[tuple[str, int]] = []
    for event in events:
        if isinstance(event, SpeechStarted):
            out.append(("start", event.audio_start_ms))
        elif isinstance(event, SpeechStopped):
            out.append(("stop", event.audio_end_ms))
        else:
            out.append(("idle", event.audio_end_ms))
    return out


def assert_matches(events: list[VadEvent], expected: list[tuple[str, int]], tol: int) -> None:
    got = as_pairs(events)
    assert [kind for kind, _ in got] == [kind for kind, _ in expected], (got, expected)
    for (kind, value), (_, want) in zip(got, expected, strict=True):
        assert abs(value - want) <= tol, (kind, value, want, got)


def speech_regions(raw: bytes, threshold_dbfs: float, max_gap_ms: int) -> list[tuple[int, int]]:
    """Voiced regions by a plain numpy threshold on 10 ms frame energies (independent of vad.py)."""
    x = np.frombuffer(raw, "<i2").astype(np.float64)
    n = x.size // 240
    mean_square = (x[: n * 240].reshape(n, 240) ** 2).mean(axis=1)
    level = 10 * np.log10(np.maximum(mean_square, 1e-12) / 32768.0**2)
    regions: list[list[int]] = []
    for i in np.flatnonzero(level >= threshold_dbfs).tolist():
        if regions and (i - regions[-1][1]) * 10 < max_gap_ms:
            regions[-1][1] = i + 1
        else:
            regions.append([i, i + 1])
    return [(a * 10, b * 10) for a, b in regions]


LAYOUT = [(1000, 2000), (3500, 3800), (5000, 6200)]
LAYOUT_TOTAL_MS = 8000


# --- basics --------------------------------------------------------------------------------------


@pytest.mark.parametrize("chunk_ms", [10, 20, 100])
def test_silence_produces_no_events(chunk_ms: int) -> None:
    assert run(audio_gen.silence(5000), chunk_bytes=PCM.bytes_for_ms(chunk_ms)) == []


def test_low_noise_below_the_threshold_produces_no_events() -> None:
    assert run(audio_gen.noise(5000, -50.0, seed=3)) == []


def test_tone_bursts_give_turns_matching_the_ground_truth() -> None:
    config = VadConfig()
    events = run(audio_gen.bursts(LAYOUT, LAYOUT_TOTAL_MS), config, PCM.bytes_for_ms(20))
    # Hand check of the independent ground truth for the defaults (300 ms prefix, 500 ms silence).
    expected = ground_truth(LAYOUT, LAYOUT_TOTAL_MS, config)
    assert expected == [
        ("start", 700),
        ("stop", 2500),
        ("start", 3200),
        ("stop", 4300),
        ("start", 4700),
        ("stop", 6700),
    ]
    assert_matches(events, expected, tol=FRAME_MS)


def test_bursts_off_the_frame_grid_match_the_ground_truth_within_one_frame() -> None:
    layout = [(1003, 1777), (2901, 3456)]
    config = VadConfig(prefix_padding_ms=120, silence_duration_ms=400)
    events = run(audio_gen.bursts(layout, 5000), config, PCM.bytes_for_ms(50))
    assert_matches(events, ground_truth(layout, 5000, config), tol=FRAME_MS)


def test_speech_started_includes_prefix_padding() -> None:
    events = run(audio_gen.bursts([(1000, 1500)], 3000), VadConfig(prefix_padding_ms=300))
    assert events[0] == SpeechStarted(audio_start_ms=700)


def test_speech_started_is_clamped_to_the_start_of_the_session_audio() -> None:
    events = run(audio_gen.bursts([(100, 600)], 2000), VadConfig(prefix_padding_ms=300))
    assert events[0] == SpeechStarted(audio_start_ms=0)


def test_speech_started_never_reaches_before_the_end_of_the_previous_turn() -> None:
    events = run(audio_gen.bursts([(1000, 1500), (2100, 2500)], 4000), VadConfig())
    assert events == [
        SpeechStarted(700),
        SpeechStopped(2000),
        SpeechStarted(2000),  # onset 2100 - 300 = 1800, but the previous turn ended at 2000
        SpeechStopped(3000),
    ]


def test_speech_stopped_includes_silence_duration() -> None:
    events = run(audio_gen.bursts([(1000, 1500)], 3000), VadConfig(silence_duration_ms=700))
    assert events[-1] == SpeechStopped(audio_end_ms=2200)


def test_a_pause_shorter_than_silence_duration_does_not_split_the_turn() -> None:
    events = run(audio_gen.bursts([(1000, 1500), (1900, 2300)], 4000), VadConfig())
    assert events == [SpeechStarted(700), SpeechStopped(2800)]


def test_a_click_shorter_than_min_speech_is_not_speech() -> None:
    config = VadConfig(min_speech_ms=30)
    assert run(audio_gen.bursts([(1000, 1020)], 3000), config) == []
    assert run(audio_gen.bursts([(1000, 1030)], 3000), config) == [
        SpeechStarted(700),
        SpeechStopped(1530),
    ]


def test_speech_started_is_emitted_when_the_onset_run_reaches_min_speech() -> None:
    raw = audio_gen.bursts([(1000, 1500)], 3000)
    detector = TurnDetector(VadConfig(min_speech_ms=30), PCM)
    assert detector.feed(raw[: PCM.bytes_for_ms(1020)]) == []
    assert not detector.in_speech
    assert detector.feed(raw[PCM.bytes_for_ms(1020) : PCM.bytes_for_ms(1030)]) == [
        SpeechStarted(700)
    ]
    assert detector.in_speech


def test_speech_stopped_is_emitted_at_the_position_it_reports() -> None:
    raw = audio_gen.bursts([(1000, 1500)], 3000)
    detector = TurnDetector(VadConfig(), PCM)
    assert detector.feed(raw[: PCM.bytes_for_ms(1990)]) == [SpeechStarted(700)]
    assert detector.feed(raw[PCM.bytes_for_ms(1990) : PCM.bytes_for_ms(2000)]) == [
        SpeechStopped(2000)
    ]
    assert detector.position_ms == 2000.0
    assert not detector.in_speech


def test_speech_still_in_progress_at_the_end_has_no_stop() -> None:
    assert run(audio_gen.bursts([(1000, 3000)], 3200), VadConfig()) == [SpeechStarted(700)]


# --- threshold → energy mapping ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("threshold", "expected_dbfs"),
    [(0.0, -60.0), (0.2, -50.0), (0.5, -35.0), (0.7, -25.0), (0.8, -20.0), (1.0, -10.0)],
)
def test_threshold_maps_linearly_between_floor_and_ceiling(
    threshold: float, expected_dbfs: float
) -> None:
    assert VadConfig(threshold=threshold).threshold_dbfs == pytest.approx(expected_dbfs)


@pytest.mark.parametrize(
    ("level_dbfs", "threshold", "is_speech"),
    [
        (-40.0, 0.2, True),
        (-40.0, 0.8, False),
        (-40.0, 0.5, False),
        (-30.0, 0.5, True),
        (-22.0, 0.7, True),
        (-22.0, 0.8, False),
        (-55.0, 0.0, True),
        (-12.0, 1.0, False),
        (-8.0, 1.0, True),
    ],
)
def test_a_tone_is_speech_only_above_the_mapped_threshold(
    level_dbfs: float, threshold: float, is_speech: bool
) -> None:
    raw = audio_gen.bursts([(1000, 1500)], 3000, dbfs=level_dbfs)
    events = run(raw, VadConfig(threshold=threshold))
    assert (events != []) is is_speech


def test_the_energy_mapping_is_configurable() -> None:
    raw = audio_gen.bursts([(1000, 1500)], 3000, dbfs=-55.0)
    assert run(raw, VadConfig()) == []
    quiet_room = VadConfig(floor_dbfs=-90.0, ceiling_dbfs=-30.0)  # 0.5 -> -60 dBFS
    assert quiet_room.threshold_dbfs == -60.0
    assert run(raw, quiet_room) == [SpeechStarted(700), SpeechStopped(2000)]


# --- chunking ------------------------------------------------------------------------------------


def test_chunk_sizes_give_identical_events() -> None:
    raw = audio_gen.mix(audio_gen.bursts(LAYOUT, LAYOUT_TOTAL_MS), audio_gen.noise(8000, -55, 1))
    config = VadConfig(idle_timeout_ms=1500)
    reference = run(raw, config)
    assert len(reference) >= 6
    for chunk_ms in (10, 20, 50, 100, 333):
        assert run(raw, config, PCM.bytes_for_ms(chunk_ms)) == reference, chunk_ms


@pytest.mark.parametrize("chunk_bytes", [7, 479, 481, 1001])
def test_chunks_that_split_samples_and_frames_give_identical_events(chunk_bytes: int) -> None:
    raw = audio_gen.bursts([(300, 700), (1500, 1900)], 3000)
    assert run(raw, VadConfig(), chunk_bytes) == run(raw, VadConfig())


layouts = st.lists(
    st.tuples(
        st.integers(0, 1500),  # silence before the burst, ms
        st.integers(5, 800),  # burst length, ms
        st.floats(-45.0, -6.0),  # burst level, dBFS
    ),
    max_size=6,
)


@settings(max_examples=60, deadline=None)
@given(
    layout=layouts,
    tail_ms=st.integers(0, 1500),
    config=st.builds(
        VadConfig,
        threshold=st.sampled_from([0.3, 0.5, 0.7]),
        prefix_padding_ms=st.integers(0, 500),
        silence_duration_ms=st.integers(0, 800),
        idle_timeout_ms=st.none() | st.integers(100, 2000),
        min_speech_ms=st.integers(0, 60),
    ),
    cut_fractions=st.lists(st.floats(0.0, 1.0), max_size=25),
)
def test_random_layouts_and_chunkings_give_the_same_well_formed_events(
    layout: list[tuple[int, int, float]],
    tail_ms: int,
    config: VadConfig,
    cut_fractions: list[float],
) -> None:
    pieces: list[bytes] = []
    for gap_ms, burst_ms, level in layout:
        pieces += [audio_gen.silence(gap_ms), audio_gen.tone(burst_ms, 700.0, level)]
    pieces.append(audio_gen.silence(tail_ms))
    raw = b"".join(pieces)
    reference = run(raw, config)
    cuts = [int(f * len(raw)) for f in cut_fractions]
    assert run_cut(raw, cuts, config) == reference

    total_ms = len(raw) / PCM.bytes_per_ms
    in_speech = False
    floor = 0
    for event in reference:
        if isinstance(event, SpeechStarted):
            assert not in_speech
            assert event.audio_start_ms >= floor
            start = event.audio_start_ms
            in_speech = True
        elif isinstance(event, SpeechStopped):
            assert in_speech
            assert event.audio_end_ms > start
            assert event.audio_end_ms <= total_ms
            floor = event.audio_end_ms
            in_speech = False
        else:
            assert not in_speech
            assert config.idle_timeout_ms is not None
            assert event.audio_end_ms > event.audio_start_ms >= 0
            assert event.audio_end_ms - event.audio_start_ms >= config.idle_timeout_ms
            assert event.audio_end_ms <= total_ms
            floor = event.audio_end_ms


# --- idle timeout --------------------------------------------------------------------------------


def test_idle_timeout_fires_once_per_idle_period_from_the_start() -> None:
    events = run(audio_gen.silence(10_000), VadConfig(idle_timeout_ms=2000))
    assert events == [IdleTimeout(audio_start_ms=0, audio_end_ms=2000)]


def test_idle_timeout_counts_from_the_last_speech_stopped() -> None:
    events = run(audio_gen.bursts([(1000, 1500)], 5000), VadConfig(idle_timeout_ms=2000))
    assert events == [SpeechStarted(700), SpeechStopped(2000), IdleTimeout(2000, 4000)]


def test_idle_timeout_ends_a_turn_so_later_speech_starts_after_it() -> None:
    events = run(audio_gen.bursts([(1100, 1500)], 3000), VadConfig(idle_timeout_ms=1000))
    assert events == [
        IdleTimeout(0, 1000),
        SpeechStarted(1000),  # onset 1100 - 300 = 800, but the timeout ended a turn at 1000
        SpeechStopped(2000),
        IdleTimeout(2000, 3000),  # a new idle period begins at the stop
    ]


def test_idle_timeout_waits_while_a_voiced_run_is_pending() -> None:
    # A 20 ms click straddles the 1000 ms deadline: it is not speech, so the timeout fires at
    # the end of the first unvoiced frame after it (1020 ms), never inside a pending run.
    events = run(audio_gen.bursts([(990, 1010)], 2000), VadConfig(idle_timeout_ms=1000))
    assert events == [IdleTimeout(0, 1020)]


def test_no_idle_timeout_without_idle_timeout_ms() -> None:
    assert run(audio_gen.silence(20_000), VadConfig()) == []


# --- configuration from the wire ----------------------------------------------------------------


def test_server_vad_defaults_follow_the_sdk() -> None:
    config = VadConfig.from_turn_detection({"type": "server_vad"})
    # SDK ServerVad: threshold "defaults to 0.5", prefix "Defaults to 300ms", silence "500ms"
    assert (config.threshold, config.prefix_padding_ms, config.silence_duration_ms) == (
        0.5,
        300,
        500,
    )
    assert config.idle_timeout_ms is None


def test_server_vad_none_values_mean_defaults() -> None:
    wire = {
        "type": "server_vad",
        "threshold": None,
        "prefix_padding_ms": None,
        "silence_duration_ms": None,
        "idle_timeout_ms": None,
        "create_response": None,
        "interrupt_response": None,
    }
    assert VadConfig.from_turn_detection(wire) == VadConfig()


def test_server_vad_values_are_taken_from_the_wire() -> None:
    wire = {
        "type": "server_vad",
        "threshold": 0.7,
        "prefix_padding_ms": 250,
        "silence_duration_ms": 200,
        "idle_timeout_ms": 6000,
    }
    config = VadConfig.from_turn_detection(wire)
    assert (config.threshold, config.prefix_padding_ms) == (0.7, 250)
    assert (config.silence_duration_ms, config.idle_timeout_ms) == (200, 6000)


def test_from_turn_detection_keeps_the_non_wire_knobs_of_a_base_config() -> None:
    base = VadConfig(frame_ms=20, min_speech_ms=60, floor_dbfs=-80.0, ceiling_dbfs=-20.0)
    config = VadConfig.from_turn_detection({"type": "server_vad", "threshold": 0.2}, base=base)
    assert config == dataclasses.replace(base, threshold=0.2)


@pytest.mark.parametrize(
    "wire",
    [
        {"type": "none"},
        {},
        {"type": "server_vad", "threshold": True},
        {"type": "server_vad", "threshold": "0.5"},
        {"type": "server_vad", "threshold": 1.5},
        {"type": "server_vad", "silence_duration_ms": 2.5},
        {"type": "server_vad", "idle_timeout_ms": 0},
        {"type": "semantic_vad", "eagerness": "extreme"},
    ],
)
def test_invalid_turn_detection_raises_value_error(wire: dict[str, object]) -> None:
    with pytest.raises(ValueError):
        VadConfig.from_turn_detection(wire)


@pytest.mark.parametrize(
    ("eagerness", "silence_ms"),
    [("low", 1000), ("medium", 500), ("high", 250), ("auto", 500), (None, 500)],
)
def test_semantic_vad_eagerness_picks_a_silence_window(
    eagerness: str | None, silence_ms: int
) -> None:
    config = VadConfig.from_turn_detection({"type": "semantic_vad", "eagerness": eagerness})
    assert config.silence_duration_ms == silence_ms
    assert (config.threshold, config.prefix_padding_ms, config.idle_timeout_ms) == (0.5, 300, None)


def test_semantic_windows_stay_within_the_documented_max_timeouts() -> None:
    # SDK SemanticVad.eagerness: "have max timeouts of 8s, 4s, and 2s respectively"
    limits = {"low": 8000, "medium": 4000, "high": 2000, "auto": 4000}
    for eagerness, (window_ms, max_ms) in SEMANTIC_EAGERNESS.items():
        assert max_ms == limits[eagerness]
        assert 0 < window_ms <= max_ms
    windows = [SEMANTIC_EAGERNESS[e][0] for e in ("low", "medium", "high")]
    assert windows == sorted(windows, reverse=True)


def test_semantic_eagerness_decides_whether_a_pause_splits_the_turn() -> None:
    raw = audio_gen.bursts([(1000, 1500), (1800, 2500)], 4000)

    def events_for(eagerness: str) -> list[VadEvent]:
        td = {"type": "semantic_vad", "eagerness": eagerness}
        return run(raw, VadConfig.from_turn_detection(td))

    assert events_for("high") == [
        SpeechStarted(700),
        SpeechStopped(1750),
        SpeechStarted(1750),
        SpeechStopped(2750),
    ]
    assert events_for("medium") == [SpeechStarted(700), SpeechStopped(3000)]
    assert events_for("low") == [SpeechStarted(700), SpeechStopped(3500)]


@pytest.mark.parametrize(
    "kwargs",
    [
        {"threshold": -0.1},
        {"prefix_padding_ms": -1},
        {"silence_duration_ms": -1},
        {"min_speech_ms": -1},
        {"frame_ms": 0},
        {"idle_timeout_ms": -5},
        {"floor_dbfs": -10.0, "ceiling_dbfs": -10.0},
    ],
)
def test_an_impossible_vad_config_raises_value_error(kwargs: dict[str, float]) -> None:
    with pytest.raises(ValueError):
        VadConfig(**kwargs)  # type: ignore[arg-type]


def test_a_frame_that_is_not_a_whole_number_of_samples_is_rejected() -> None:
    with pytest.raises(ValueError):
        TurnDetector(VadConfig(frame_ms=10), AudioFormatSpec("x", 22_050, 2))


# --- reset and skip ------------------------------------------------------------------------------


def test_reset_forgets_speech_in_progress_and_keeps_absolute_positions() -> None:
    raw = audio_gen.bursts([(1000, 3000)], 5000)
    detector = TurnDetector(VadConfig(), PCM)
    cut = PCM.bytes_for_ms(2000)
    assert detector.feed(raw[:cut]) == [SpeechStarted(700)]
    detector.reset()
    assert not detector.in_speech
    assert detector.position_ms == 2000.0
    # The voice goes on after the clear: a new turn, which cannot reach back before the reset.
    assert detector.feed(raw[cut:]) == [SpeechStarted(2000), SpeechStopped(3500)]
    assert detector.position_ms == 5000.0


def test_reset_without_speech_changes_no_positions() -> None:
    raw = audio_gen.bursts([(1000, 1500)], 3000)
    detector = TurnDetector(VadConfig(), PCM)
    detector.feed(raw[:4801])
    detector.reset()
    assert detector.feed(raw[4801:]) == [SpeechStarted(700), SpeechStopped(2000)]


def test_reset_starts_a_new_idle_period() -> None:
    detector = TurnDetector(VadConfig(idle_timeout_ms=1000), PCM)
    assert detector.feed(audio_gen.silence(800)) == []
    detector.reset()
    assert detector.feed(audio_gen.silence(900)) == []
    assert detector.feed(audio_gen.silence(100)) == [IdleTimeout(800, 1800)]


def test_a_reset_in_the_middle_of_a_frame_still_gives_a_stop_after_the_start() -> None:
    config = VadConfig(prefix_padding_ms=0, silence_duration_ms=0, min_speech_ms=0)
    raw = audio_gen.bursts([(1000, 1010)], 1100)
    detector = TurnDetector(config, PCM)
    cut = 48_466  # 1009.71 ms: inside the voiced frame 1000-1010 ms
    assert detector.feed(raw[:cut]) == []
    detector.reset()
    events = detector.feed(raw[cut:])
    assert [type(e) for e in events] == [SpeechStarted, SpeechStopped]
    started, stopped = events
    assert isinstance(started, SpeechStarted) and isinstance(stopped, SpeechStopped)
    assert started.audio_start_ms == 1010  # not before the reset point
    assert stopped.audio_end_ms > started.audio_start_ms


@settings(max_examples=50, deadline=None)
@given(
    layout=layouts,
    reset_fractions=st.lists(st.floats(0.0, 1.0), max_size=4),
    cut_fractions=st.lists(st.floats(0.0, 1.0), max_size=15),
)
def test_resets_at_the_same_bytes_give_the_same_events_whatever_the_chunking(
    layout: list[tuple[int, int, float]],
    reset_fractions: list[float],
    cut_fractions: list[float],
) -> None:
    raw = b"".join(
        audio_gen.silence(gap) + audio_gen.tone(ms, 700.0, level) for gap, ms, level in layout
    ) + audio_gen.silence(600)
    resets = sorted({int(f * len(raw)) for f in reset_fractions})
    cuts = sorted(set(resets) | {int(f * len(raw)) for f in cut_fractions})
    config = VadConfig(idle_timeout_ms=700)

    def feed_with_resets(boundaries: list[int]) -> list[VadEvent]:
        detector = TurnDetector(config, PCM)
        events: list[VadEvent] = []
        for a, b in zip([0, *boundaries], [*boundaries, len(raw)], strict=True):
            if a in resets:
                detector.reset()
            events.extend(detector.feed(raw[a:b]))
        return events

    reference = feed_with_resets(resets)
    assert feed_with_resets(cuts) == reference
    start = None
    for event in reference:
        if isinstance(event, SpeechStarted):
            start = event.audio_start_ms
        elif isinstance(event, SpeechStopped):
            assert start is not None and event.audio_end_ms > start


def test_skip_to_offsets_every_position() -> None:
    detector = TurnDetector(VadConfig(), PCM)
    detector.skip_to(10_000)
    assert detector.position_ms == 10_000.0
    events = detector.feed(audio_gen.bursts([(1000, 1500)], 3000))
    assert events == [SpeechStarted(10_700), SpeechStopped(12_000)]


def test_skip_to_never_moves_back() -> None:
    detector = TurnDetector(VadConfig(), PCM)
    detector.feed(audio_gen.silence(100))
    with pytest.raises(ValueError):
        detector.skip_to(50)


# --- G.711 ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "table"), [("audio/pcmu", ulaw_table()), ("audio/pcma", alaw_table())]
)
def test_g711_audio_gives_the_same_turns_as_pcm(name: str, table: np.ndarray) -> None:
    pcm = audio_gen.bursts(LAYOUT, LAYOUT_TOTAL_MS)
    spec = FORMATS[name]
    events = run(audio_gen.to_g711(pcm, table), VadConfig(), spec.bytes_for_ms(20), spec)
    assert_matches(events, as_pairs(run(pcm)), tol=FRAME_MS)


# --- a real speech recording ---------------------------------------------------------------------


def test_speech_recording_ground_truth_matches_the_readme() -> None:
    raw = SPEECH_FILE.read_bytes()
    assert len(raw) < 300_000 and len(raw) % 2 == 0
    regions = speech_regions(raw, threshold_dbfs=-35.0, max_gap_ms=500)
    assert len(regions) == len(SPEECH_GROUND_TRUTH_MS)
    for (a, b), (want_a, want_b) in zip(regions, SPEECH_GROUND_TRUTH_MS, strict=True):
        assert abs(a - want_a) <= FRAME_MS and abs(b - want_b) <= FRAME_MS


@pytest.mark.parametrize("chunk", [10, 20, 50, 100, 333, "odd"])
@pytest.mark.parametrize("noise_dbfs", [None, -60.0])
def test_speech_recording_turns_match_the_ground_truth(
    chunk: int | str, noise_dbfs: float | None
) -> None:
    raw = SPEECH_FILE.read_bytes()
    if noise_dbfs is not None:
        raw = audio_gen.mix(raw, audio_gen.noise(len(raw) / 48, noise_dbfs, seed=11))
    config = VadConfig()
    regions = speech_regions(raw, config.threshold_dbfs, config.silence_duration_ms)
    total_ms = int(len(raw) / PCM.bytes_per_ms)
    expected = ground_truth(regions, total_ms, config)
    assert [kind for kind, _ in expected] == ["start", "stop", "start", "stop"]
    chunk_bytes = 1001 if chunk == "odd" else PCM.bytes_for_ms(int(chunk))
    assert_matches(run(raw, config, chunk_bytes), expected, tol=FRAME_MS)


def test_vad_module_exports_are_all_defined() -> None:
    for name in vad.__all__:
        assert hasattr(vad, name), name


@settings(max_examples=60, deadline=None)
@given(st.lists(st.sampled_from([0, -2, -1, 0, 1, 2, None]), min_size=4, max_size=60))
def test_frames_at_the_threshold_give_the_same_events_in_any_chunking(
    offsets: list[int | None],
) -> None:
    # 10 ms square waves within a few steps of the threshold amplitude (or silent): the
    # silence fast path (one dot product per append) must decide as frame-by-frame does
    config = VadConfig(min_speech_ms=10, silence_duration_ms=30, prefix_padding_ms=0)
    detector = TurnDetector(config, PCM)
    at_threshold = int(np.ceil(np.sqrt(detector._threshold_energy / 240)))
    frames = []
    for offset in offsets:
        amplitude = 0 if offset is None else at_threshold + offset
        frames.append(np.tile(np.array([amplitude, -amplitude], dtype="<i2"), 120).tobytes())
    raw = b"".join(frames)
    reference = run(raw, config, PCM.bytes_for_ms(10))
    assert any(offset is not None and offset >= 0 for offset in offsets) == bool(reference)
    for chunk_ms in (20, 30, 40, 1000):
        assert run(raw, config, PCM.bytes_for_ms(chunk_ms)) == reference, chunk_ms
