"""Case files: schema errors name file, line and field; the lint of ids, descriptions and
sources; the cases that moved here from tests/test_targets.py are present."""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

import pytest

from conformance.casefile import CASES_DIR, CaseError, id_key, load_cases, load_file, select
from conformance.suite import known_failures

ROOT = Path(__file__).resolve().parents[1]
CASES = load_cases()
# The section numbers of docs/protocol.md (the same as the notes it was written from); used
# only while docs/protocol.md is not in the checkout.
SECTIONS = {
    "1", "1.1", "1.2", "1.3", "1.4", "1.5", "1.6", "1.7", "2", "2.1", "2.2", "2.3", "3", "4",
    "5", "5.1", "5.2", "6", "7", "8", "8.1", "8.2", "8.3", "8.4", "8.5", "9", "10", "11",
}  # fmt: skip
_NOT_PRESENT = re.compile(r"\b(should|will|would|must|shall|was|were|did|had|could)\b", re.I)
# A present-tense verb: is/are, a third-person -s form, or a plural form these cases use.
_PRESENT = re.compile(r"\b(is|are|\w+s|arrive|make|come|get|stay|follow|start|end|count)\b")


def protocol_sections() -> set[str]:
    doc = ROOT / "docs" / "protocol.md"
    if not doc.exists():
        return SECTIONS
    found = re.findall(r"^#+ (\d+(?:\.\d+)*)[. ]", doc.read_text(encoding="utf-8"), re.M)
    return set(found)


def test_there_are_at_least_sixty_cases_in_twelve_sections() -> None:
    assert len(CASES) >= 60
    assert {c.section for c in CASES} == {str(n) for n in range(1, 13)}


def test_case_ids_are_unique_and_ordered_within_each_file() -> None:
    ids = [c.id for c in CASES]
    assert len(ids) == len(set(ids))
    for path in sorted(CASES_DIR.glob("*.yaml")):
        in_file = [c.id for c in load_file(path)]
        assert in_file == sorted(in_file, key=id_key), path.name
        numbers = [id_key(i)[1] for i in in_file]
        assert numbers == list(range(1, len(numbers) + 1)), f"{path.name}: ids have gaps"


def test_files_are_in_section_order() -> None:
    sections = [load_file(p)[0].section for p in sorted(CASES_DIR.glob("*.yaml"))]
    assert sections == sorted(sections, key=int)


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_description_is_one_present_tense_line_under_80_characters(case: object) -> None:
    description = case.description  # type: ignore[attr-defined]
    assert len(description) < 80 and "\n" not in description
    assert description[0].islower() or not description[0].isalpha(), "starts lowercase"
    assert not _NOT_PRESENT.search(description), f"not present tense: {description!r}"
    assert _PRESENT.search(description), f"no present-tense verb: {description!r}"


def test_every_source_resolves() -> None:
    sections = protocol_sections()
    for case in CASES:
        for source in case.sources:
            if source.ref.startswith("docs/protocol.md §"):
                assert source.ref.split("§")[1] in sections, f"{case.id}: {source.ref}"
            elif source.ref.startswith("tests/data/"):
                assert (ROOT / source.ref).is_file(), f"{case.id}: {source.ref}"
            else:
                assert re.fullmatch(r"https://[\w.-]+/\S+", source.ref), f"{case.id}: {source.ref}"


def test_known_failures_name_existing_cases() -> None:
    ids = {c.id for c in CASES}
    for kind, cases in known_failures().items():
        assert kind in ("mock", "live", "url")
        assert set(cases) <= ids


def test_the_shipped_speech_recording_is_tests_data_speech_pcm() -> None:
    shipped = ROOT / "conformance" / "audio" / "speech.pcm"
    original = ROOT / "tests" / "data" / "speech.pcm"
    digest = hashlib.sha256
    assert digest(shipped.read_bytes()).digest() == digest(original.read_bytes()).digest()


def test_the_cases_of_the_former_cross_target_tests_are_in_the_suite() -> None:
    titles = {c.id: c.description for c in CASES}
    assert "realtime session.update" in titles["3.1"]
    assert "50 ms" in titles["3.13"]
    assert "unknown session field" in titles["3.5"]
    assert "session.type" in titles["3.6"]
    assert "default transcription session" in titles["2.1"]


def test_a_schema_error_names_file_line_and_field(tmp_path: Path) -> None:
    bad = tmp_path / "01-bad.yaml"
    bad.write_text(
        'section: "1"\ntitle: t\ncases:\n  - id: "1.1"\n    description: x is y\n'
        '    sources: [{ref: "docs/protocol.md §1", seen: "2026-11"}]\n'
        "    certainty: sure\n    steps: [{close: 1000}]\n"
    )
    with pytest.raises(CaseError) as caught:
        load_file(bad)
    assert str(caught.value).startswith(f"{bad}:7: cases[0].certainty: ")


def test_a_step_with_two_actions_is_an_error_on_its_line(tmp_path: Path) -> None:
    bad = tmp_path / "01-bad.yaml"
    bad.write_text(
        'section: "1"\ntitle: t\ncases:\n  - id: "1.1"\n    description: x is y\n'
        '    sources: [{ref: "docs/protocol.md §1", seen: "2026-11"}]\n'
        "    certainty: confirmed\n    steps:\n      - close: 1000\n        wait: 5\n"
    )
    with pytest.raises(CaseError, match=r":9: cases\[0\]\.steps\[0\]: a step has exactly one"):
        load_file(bad)


def test_a_yaml_syntax_error_names_its_line(tmp_path: Path) -> None:
    bad = tmp_path / "01-bad.yaml"
    bad.write_text('section: "1"\ntitle: [unclosed\n')
    with pytest.raises(CaseError, match=r"01-bad.yaml:\d+: invalid YAML"):
        load_file(bad)


def test_select_takes_ids_sections_and_globs() -> None:
    assert [c.id for c in select(CASES, ["3.2"])] == ["3.2"]
    assert {c.section for c in select(CASES, ["6"])} == {"6"}
    assert [c.id for c in select(CASES, ["10.*"])][0] == "10.1"
    assert select(CASES, ["*beta_api_shape_disabled*"])
