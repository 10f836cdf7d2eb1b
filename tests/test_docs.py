"""The repository explains itself: every citation in it resolves inside it.

Comments, docstrings, schema descriptions and docs cite ``protocol.md §N`` (docs/protocol.md),
files under ``tests/data/`` and ``docs/``, or public URLs; never material outside the clone.
"""

from __future__ import annotations

import json
import re
import subprocess
from functools import cache
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PROTOCOL = ROOT / "docs" / "protocol.md"
TEXT_SUFFIXES = {".py", ".md", ".json", ".yaml", ".yml", ".toml", ".txt", ".cfg", ".sh", ".html"}
SKIP_DIRS = {"venv", "node_modules", "__pycache__", "build", "dist"}

# Built in pieces so that this file does not match itself.
_UP = re.escape("..") + "/"
OUTSIDE = re.compile(_UP + "shared|" + "shared" + r"/(protocol|design|perf-notes|evidence)\b")
# "protocol.md §1.7 / §9.2", "protocol.md §1, §9.1", "protocol §2.3", "(docs/protocol.md §6)"
CITATION = re.compile(r"protocol(?:\.md)?((?:\s*(?:,|/|and|or)?\s*§\s?\d+(?:\.\d+)?)+)")
SECTION = re.compile(r"§\s?(\d+(?:\.\d+)?)")
HEADING = re.compile(r"^#{2,4} (\d+(?:\.\d+)?)\.?\s", re.MULTILINE)
# tests/data/... or docs/..., on their own or after "../" (not ".../api/docs/guides" in a URL)
REPO_PATH = re.compile(r"(?:(?<=\.\./)|(?<![\w./-]))((?:tests/data|docs)/[\w./-]*\w)")
# "evidence/<file>.json" on its own means tests/data/evidence/<file>.json
EVIDENCE = re.compile(r"(?<![\w./-])evidence/([\w.-]+\.json)")


def _skipped(directory: str) -> bool:
    """Hidden folders (.git, .venv, caches), virtualenvs and build output are not the repo's."""
    return directory.startswith(".") or directory in SKIP_DIRS or directory.endswith(".egg-info")


@cache
def tracked_files() -> tuple[Path, ...]:
    """The repository's text files but this one: git's list in a clone, else a walk."""
    try:
        out = subprocess.run(
            ["git", "ls-files", "-z"], cwd=ROOT, capture_output=True, check=True, timeout=60
        ).stdout.decode()
        names = [n for n in out.split("\0") if n]
    except (OSError, subprocess.CalledProcessError):
        names = [
            str(p.relative_to(ROOT))
            for p in ROOT.rglob("*")
            if p.is_file() and not any(_skipped(part) for part in p.relative_to(ROOT).parts[:-1])
        ]
    files = [ROOT / n for n in names if Path(n).suffix in TEXT_SUFFIXES]
    files += [p for p in (ROOT / "docs").glob("*.md")]  # new docs before their first commit
    this = Path(__file__).resolve()  # its samples are not citations
    return tuple(sorted({p for p in files if p.is_file() and p.resolve() != this}))


def text_of(path: Path) -> str:
    """A file's text; JSON is decoded so that escaped characters (``\\u00a7``) count."""
    text = path.read_text(encoding="utf-8", errors="replace")
    if path.suffix == ".json":
        try:
            return json.dumps(json.loads(text), ensure_ascii=False)
        except ValueError:
            return text
    return text


def cited_sections(text: str) -> list[str]:
    return [n for m in CITATION.finditer(text) for n in SECTION.findall(m.group(1))]


def protocol_headings() -> set[str]:
    return set(HEADING.findall(PROTOCOL.read_text(encoding="utf-8")))


def citing_files() -> list[Path]:
    """Where code and data cite the protocol notes: the package, tests, schemas, bench,
    examples, the conformance suite, README and the docs."""
    roots = ("mockrt/", "tests/", "schemas/", "bench/", "examples/", "conformance/", "docs/")
    return [
        p
        for p in tracked_files()
        if str(p.relative_to(ROOT)).startswith(roots) or p.name == "README.md"
    ]


def test_the_citation_patterns_read_the_forms_the_code_uses() -> None:
    doc = "protocol" + ".md"  # not a citation of this file's own
    sample = f"({doc} §1.7 / §7), {doc} §1, §9.1 and §10 #4; protocol §2.3; RFC 6455 §5.5"
    assert cited_sections(sample) == ["1.7", "7", "1", "9.1", "10", "2.3"]
    assert OUTSIDE.search("see " + ".." + "/" + "shared" + "/evidence/x.json")
    assert OUTSIDE.search("shared" + "/protocol.md")
    assert not OUTSIDE.search("a shared key")
    assert REPO_PATH.findall("`tests/data/evidence/a.json`, [x](../docs/b.md)") == [
        "tests/data/evidence/a.json",
        "docs/b.md",
    ]
    assert REPO_PATH.findall("https://developers.openai.com/api/docs/guides/x") == []
    assert EVIDENCE.findall("(evidence/a-b.json, tests/data/evidence/c.json)") == ["a-b.json"]


def test_no_tracked_file_cites_material_outside_the_repository() -> None:
    offenders = [
        f"{path.relative_to(ROOT)}:{number}: {line.strip()}"
        for path in tracked_files()
        for number, line in enumerate(path.read_text(errors="replace").splitlines(), 1)
        if OUTSIDE.search(line)
    ]
    assert offenders == []


def test_protocol_notes_keep_the_section_numbers_the_code_cites() -> None:
    headings = protocol_headings()
    expected = {str(n) for n in range(1, 12)} | {"1.1", "1.4", "1.7", "2.1", "2.3", "5.1", "5.2"}
    assert expected <= headings


def test_every_protocol_section_cited_in_the_repository_is_a_heading_in_docs() -> None:
    headings = protocol_headings()
    cited: dict[str, list[str]] = {}
    for path in citing_files():
        for section in cited_sections(text_of(path)):
            cited.setdefault(section, []).append(str(path.relative_to(ROOT)))
    assert len(cited) > 10, "the code cites the protocol notes in many places"
    missing = {section: where for section, where in cited.items() if section not in headings}
    assert missing == {}


def test_every_section_docs_protocol_md_refers_to_in_itself_exists() -> None:
    text = PROTOCOL.read_text(encoding="utf-8")
    headings = protocol_headings()
    assert sorted(set(SECTION.findall(text)) - headings) == []


def test_every_path_under_tests_data_or_docs_cited_in_the_repository_exists() -> None:
    cited: dict[str, set[str]] = {}
    for path in tracked_files():
        text = text_of(path)
        where = str(path.relative_to(ROOT))
        for found in REPO_PATH.findall(text):
            cited.setdefault(found.rstrip("."), set()).add(where)
        for name in EVIDENCE.findall(text):
            cited.setdefault(f"tests/data/evidence/{name}", set()).add(where)
    assert "tests/data/evidence/agents-runner-on-transcription.json" in cited
    missing = {p: sorted(w) for p, w in cited.items() if not (ROOT / p).exists()}
    assert missing == {}


def test_code_comments_that_cite_perf_notes_find_them_in_docs() -> None:
    mentions = [p for p in citing_files() if "perf-notes.md" in p.read_text(errors="replace")]
    assert mentions == [] or (ROOT / "docs" / "perf-notes.md").is_file()
