"""Packaging: license, classifiers, project URLs, README links that work on a package index, and
an sdist that carries what its tests need."""

from __future__ import annotations

import re
import subprocess
import sys
import tarfile
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
REPOSITORY = PROJECT["urls"]["Repository"]
LINK = re.compile(r"\[[^\]]*\]\(([^)\s]+)\)")


def test_license_is_an_spdx_string_matching_the_license_file() -> None:
    assert PROJECT["license"] == "MIT" and PROJECT["license-files"] == ["LICENSE"]
    assert (ROOT / "LICENSE").read_text().startswith("MIT License\n")
    assert not any(c.startswith("License ::") for c in PROJECT["classifiers"])  # PEP 639


def test_classifiers_and_urls_name_the_pytest_plugin_and_the_repository() -> None:
    assert "Framework :: Pytest" in PROJECT["classifiers"]
    assert {"Homepage", "Repository", "Issues"} <= set(PROJECT["urls"])
    assert all(url.startswith(REPOSITORY) for url in PROJECT["urls"].values())


def test_readme_links_are_absolute_and_point_at_files_of_this_repository() -> None:
    links = LINK.findall((ROOT / "README.md").read_text())
    relative = [link for link in links if not link.startswith(("https://", "http://", "#"))]
    assert relative == [], "links must work on a package index: use the repository URL"
    ours = [link for link in links if link.startswith(REPOSITORY + "/")]
    assert ours
    for link in ours:
        path = re.sub(r"^/(blob|tree)/main/", "", link.removeprefix(REPOSITORY)).split("#")[0]
        assert (ROOT / path).exists(), f"README links to {link}, but {path} is not here"


def test_sdist_carries_the_tests_and_everything_they_read(tmp_path: Path) -> None:
    subprocess.run(
        [
            sys.executable,
            "-c",
            f"from setuptools import build_meta; build_meta.build_sdist({str(tmp_path)!r})",
        ],
        cwd=ROOT,
        check=True,
        capture_output=True,
        timeout=120,
    )
    (sdist,) = tmp_path.glob("mockrt-*.tar.gz")
    with tarfile.open(sdist) as tar:
        names = {name.split("/", 1)[1] for name in tar.getnames() if "/" in name}
    wanted = {"LICENSE", "README.md", "action.yml", ".github/mockrt-action.sh", ".ci/run"}
    for folder in ("tests", "examples", "schemas", "docs", "mockrt"):
        for path in (ROOT / folder).rglob("*"):
            parts = set(path.relative_to(ROOT).parts)
            if path.is_file() and not parts & {"__pycache__", ".hypothesis"}:
                wanted.add(path.relative_to(ROOT).as_posix())
    missing = sorted(wanted - names)
    assert missing == [], f"the sdist lacks {missing[:10]}"
