"""mockrt.core.audio: formats, strict base64, G.711 tables, dBFS levels."""

from __future__ import annotations

import ast
import base64
import binascii
import math
import subprocess
import sys
import warnings
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mockrt.core import audio, energy
from mockrt.core.audio import (
    FORMATS,
    SILENCE_DBFS,
    dbfs_to_power,
    decode_base64,
    decoded_length,
)
from mockrt.core.energy import (
    alaw_table,
    frames_dbfs,
    frames_energy,
    frames_power,
    rms_dbfs,
    to_linear16,
    ulaw_table,
)
from tests import audio_gen

PCM = FORMATS["audio/pcm"]
PCMU = FORMATS["audio/pcmu"]
PCMA = FORMATS["audio/pcma"]


# --- formats ---------------------------------------------------------------------------------


def test_pcm_is_24_khz_16_bit_and_48_bytes_per_ms() -> None:
    assert (PCM.sample_rate, PCM.sample_bytes, PCM.bytes_per_ms) == (24_000, 2, 48.0)
    # protocol.md §4: "100 ms = 4 800 bytes, 50 ms = 2 400 bytes"
    assert PCM.bytes_for_ms(100) == 4800
    assert PCM.bytes_for_ms(50) == 2400
    assert PCM.ms_for_bytes(4800) == 100.0


@pytest.mark.parametrize("name", ["audio/pcmu", "audio/pcma"])
def test_g711_formats_are_8_khz_one_byte_per_sample(name: str) -> None:
    spec = FORMATS[name]
    assert (spec.name, spec.sample_rate, spec.sample_bytes, spec.bytes_per_ms) == (
        name,
        8_000,
        1,
        8.0,
    )
    # protocol.md §4: "8 000 bytes/s (100 ms = 800 bytes)"
    assert spec.bytes_for_ms(100) == 800
    assert spec.ms_for_bytes(800) == 100.0


def test_bytes_for_ms_rounds_to_whole_samples() -> None:
    assert PCM.bytes_for_ms(0.03) == 2  # 0.72 samples -> 1 sample
    assert PCM.bytes_for_ms(10.01) % 2 == 0


def test_format_specs_are_frozen() -> None:
    with pytest.raises(AttributeError):
        PCM.sample_rate = 16_000  # type: ignore[misc]


# --- base64 ----------------------------------------------------------------------------------


def test_valid_base64_decodes_to_the_original_bytes() -> None:
    raw = bytes(range(256)) * 3
    assert decode_base64(base64.b64encode(raw).decode()) == raw
    assert decode_base64("") == b""


@pytest.mark.parametrize(
    "bad",
    [
        "abc",  # length not a multiple of 4
        "YQ",  # missing padding
        "YQ=",  # short padding
        "ab$d",  # character outside the alphabet
        "YQ==YQ==",  # data after padding
        "=YQ=",  # leading padding
        "Y=Q=",  # discontinuous padding
        "YW Jj",  # whitespace
        "YWJj\n",  # newline
        "YWJj" + "é",  # non-ASCII
    ],
)
def test_invalid_base64_raises_value_error(bad: str) -> None:
    with pytest.raises(ValueError):
        decode_base64(bad)


def test_invalid_base64_error_is_not_binascii_specific() -> None:
    with pytest.raises(ValueError) as info:
        decode_base64("abc")
    assert not isinstance(info.value, binascii.Error)


@settings(max_examples=100)
@given(st.binary(max_size=3000))
def test_decoded_length_equals_the_decoded_size_for_any_payload(raw: bytes) -> None:
    b64 = base64.b64encode(raw).decode()
    assert decoded_length(b64) == len(decode_base64(b64)) == len(raw)


def test_decoded_length_equals_the_decoded_size_for_every_size_up_to_100() -> None:
    for n in range(101):
        b64 = audio_gen.to_b64(bytes(n))
        assert decoded_length(b64) == n


# --- G.711 -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("code", "linear"),
    [(0xFF, 0), (0x7F, 0), (0x00, -32124), (0x80, 32124), (0xFE, 8), (0x7E, -8), (0xF0, 120)],
)
def test_ulaw_table_matches_known_g711_values(code: int, linear: int) -> None:
    assert int(ulaw_table()[code]) == linear


@pytest.mark.parametrize(
    ("code", "linear"),
    [(0xD5, 8), (0x55, -8), (0xAA, 32256), (0x2A, -32256), (0xD4, 24), (0x80, 5504)],
)
def test_alaw_table_matches_known_g711_values(code: int, linear: int) -> None:
    assert int(alaw_table()[code]) == linear


@pytest.mark.parametrize("table", [ulaw_table(), alaw_table()], ids=["ulaw", "alaw"])
def test_g711_tables_are_symmetric_and_cover_256_codes(table: np.ndarray) -> None:
    assert table.shape == (256,) and table.dtype == np.int16
    assert sorted(table[:128].tolist()) == sorted((-table[128:]).tolist())
    assert not table.flags.writeable


def test_g711_tables_match_the_reference_audioop_when_available() -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        try:
            import audioop  # gone in Python 3.13
        except ImportError:
            pytest.skip("audioop is not available")
    codes = bytes(range(256))
    assert np.array_equal(np.frombuffer(audioop.ulaw2lin(codes, 2), "<i2"), ulaw_table())
    assert np.array_equal(np.frombuffer(audioop.alaw2lin(codes, 2), "<i2"), alaw_table())


def test_pcm_is_read_as_signed_little_endian() -> None:
    samples = to_linear16(b"\x01\x00\xff\x7f\x00\x80\xff\xff", PCM)
    assert samples.dtype == np.int16
    assert samples.tolist() == [1, 32767, -32768, -1]


def test_g711_bytes_decode_through_the_tables() -> None:
    assert to_linear16(b"\xff\x00\x80", PCMU).tolist() == [0, -32124, 32124]
    assert to_linear16(b"\xd5\x55\xaa", PCMA).tolist() == [8, -8, 32256]


def test_a_trailing_partial_pcm_sample_is_ignored() -> None:
    assert to_linear16(b"\x01\x00\x02", PCM).tolist() == [1]


# --- energy ----------------------------------------------------------------------------------


def test_full_scale_square_wave_is_0_dbfs() -> None:
    square = np.array([32767, -32768] * 500, dtype=np.int16)
    assert rms_dbfs(square) == pytest.approx(0.0, abs=0.01)


def test_full_scale_sine_is_minus_3_01_dbfs() -> None:
    t = np.arange(24_000) / 24_000
    sine = np.rint(32767 * np.sin(2 * np.pi * 1000 * t)).astype(np.int16)
    assert rms_dbfs(sine) == pytest.approx(-3.01, abs=0.01)


def test_digital_silence_returns_the_floor_not_minus_infinity() -> None:
    assert rms_dbfs(np.zeros(480, dtype=np.int16)) == SILENCE_DBFS == -120.0
    assert rms_dbfs(np.zeros(0, dtype=np.int16)) == SILENCE_DBFS
    assert math.isfinite(rms_dbfs(np.zeros(10, dtype=np.int16)))


def test_a_single_lsb_is_above_the_floor() -> None:
    frame = np.zeros(240, dtype=np.int16)
    frame[0] = 1
    assert SILENCE_DBFS < rms_dbfs(frame) < -100.0


@pytest.mark.parametrize("dbfs", [-60.0, -40.0, -35.0, -20.0, -6.0, -3.5])
def test_generated_tone_has_the_requested_level(dbfs: float) -> None:
    samples = np.frombuffer(audio_gen.tone(500, 440.0, dbfs), "<i2")
    assert rms_dbfs(samples) == pytest.approx(dbfs, abs=0.5)


@settings(max_examples=50)
@given(dbfs=st.floats(-70.0, -10.0), seed=st.integers(0, 2**32 - 1))
def test_generated_noise_has_the_requested_level(dbfs: float, seed: int) -> None:
    samples = np.frombuffer(audio_gen.noise(200, dbfs, seed), "<i2")
    assert rms_dbfs(samples) == pytest.approx(dbfs, abs=0.5)


def test_noise_is_deterministic_for_a_seed() -> None:
    assert audio_gen.noise(50, -30, 7) == audio_gen.noise(50, -30, 7)
    assert audio_gen.noise(50, -30, 7) != audio_gen.noise(50, -30, 8)


def test_generated_silence_has_the_requested_length() -> None:
    assert len(audio_gen.silence(100)) == PCM.bytes_for_ms(100) == 4800


def test_frames_dbfs_equals_rms_dbfs_of_each_frame() -> None:
    raw = audio_gen.tone(30, 1000, -20) + audio_gen.silence(20) + audio_gen.noise(35, -45, 1)
    samples = to_linear16(raw, PCM)
    levels = frames_dbfs(samples, 240)
    assert levels.shape == (8,)  # the trailing 5 ms are not a whole frame
    expected = [rms_dbfs(samples[i * 240 : (i + 1) * 240]) for i in range(8)]
    assert levels.tolist() == pytest.approx(expected, abs=1e-3)
    assert levels[3] == levels[4] == SILENCE_DBFS


@settings(max_examples=50)
@given(dbfs=st.floats(-70.0, -5.0), seed=st.integers(0, 2**16), threshold=st.floats(-60.0, -10.0))
def test_frame_power_against_dbfs_to_power_decides_like_frame_levels(
    dbfs: float, seed: int, threshold: float
) -> None:
    samples = to_linear16(audio_gen.noise(100, dbfs, seed), PCM)
    levels = frames_dbfs(samples, 240)
    by_power = frames_power(samples, 240) >= dbfs_to_power(threshold)
    clear = np.abs(levels - threshold) > 1e-3  # ignore float ties at the boundary
    assert np.array_equal(by_power[clear], (levels >= threshold)[clear])


@pytest.mark.parametrize("spec", [PCM, PCMU, PCMA], ids=lambda s: s.name)
def test_frames_energy_of_raw_bytes_is_the_sum_of_squares_of_each_whole_frame(
    spec: audio.AudioFormatSpec,
) -> None:
    pcm = audio_gen.tone(30, 440, -20) + audio_gen.noise(25, -40, 3)
    tables = {"audio/pcmu": ulaw_table(), "audio/pcma": alaw_table()}
    raw = pcm if spec is PCM else audio_gen.to_g711(pcm, tables[spec.name])
    frame = spec.sample_rate // 100  # 10 ms
    samples = to_linear16(raw, spec).astype(np.float64)
    n = samples.size // frame
    expected = [float(np.sum(samples[i * frame : (i + 1) * frame] ** 2)) for i in range(n)]
    energy = frames_energy(raw, spec, frame)
    assert energy.shape == (n,)  # the trailing partial frame is left out
    assert energy.tolist() == pytest.approx(expected, rel=1e-5)
    assert (frames_power(to_linear16(raw, spec), frame) * frame).tolist() == pytest.approx(
        expected, rel=1e-5
    )


def test_dbfs_to_power_of_0_dbfs_is_full_scale_squared() -> None:
    assert dbfs_to_power(0.0) == 32768.0**2
    assert dbfs_to_power(-20.0) == pytest.approx(32768.0**2 / 100)


def test_g711_tone_keeps_its_level_after_encoding() -> None:
    pcm = audio_gen.tone(200, 1000, -20)
    for spec, table in ((PCMU, ulaw_table()), (PCMA, alaw_table())):
        samples = to_linear16(audio_gen.to_g711(pcm, table), spec)
        assert samples.size == 1600
        assert rms_dbfs(samples) == pytest.approx(-20.0, abs=0.5)


# --- purity ----------------------------------------------------------------------------------

ALLOWED_IMPORTS = {
    "__future__",
    "binascii",
    "collections.abc",
    "dataclasses",
    "math",
    "numpy",
    "numpy.typing",
    "types",
    "typing",
    "mockrt.core.audio",
    "mockrt.core.energy",
}


@pytest.mark.parametrize("module", ["audio.py", "energy.py", "vad.py"])
def test_audio_and_vad_modules_import_nothing_but_the_stdlib_numpy_and_audio(module: str) -> None:
    source = (Path(audio.__file__).parent / module).read_text()
    imported: set[str] = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            imported.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            imported.add(node.module or "")
    assert imported <= ALLOWED_IMPORTS, imported - ALLOWED_IMPORTS


def test_audio_module_exports_are_all_defined() -> None:
    for module in (audio, energy):
        for name in module.__all__:
            assert hasattr(module, name), name


def test_the_audio_module_and_the_vad_start_without_numpy() -> None:
    """numpy comes with the first audio a detector measures (mockrt.core.energy), not with
    serve's start-up nor with a session.created."""
    code = (
        "import sys, json; import mockrt.core.session, mockrt.core.vad, mockrt.core.streaming; "
        "assert 'numpy' not in sys.modules, 'numpy at import'; "
        "from mockrt.core.session import Session; s = Session(); s.events_to_send(); "
        "assert 'numpy' not in sys.modules, 'numpy for a session.created'; "
        "s.receive_text(json.dumps({'type': 'input_audio_buffer.append', 'audio': 'AAAA' * 160})); "
        "assert 'numpy' in sys.modules, 'server VAD measures audio with numpy'"
    )
    subprocess.run([sys.executable, "-c", code], check=True)
