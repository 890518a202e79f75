"""The dependency locks: requirements.txt (what Azure's remote build installs) and requirements-dev.txt
are pinned and hashed pip-compile outputs of the ranges in requirements.in / requirements-dev.in, and the
dev lock carries exactly the runtime lock's versions and hashes (one hash-checked install)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.specifiers import SpecifierSet
from packaging.utils import canonicalize_name
from packaging.version import Version

ROOT = Path(__file__).resolve().parents[2]
_PIN = re.compile(r"^([A-Za-z0-9._-]+)==([^\s\\;]+)")
_HASH = re.compile(r"--hash=sha256:([0-9a-f]{64})")


def locked(name: str) -> dict[str, tuple[str, frozenset[str]]]:
    """package -> (version, hashes) from a pip-compile output; fails on any unpinned or unhashed entry."""
    entries: dict[str, tuple[str, frozenset[str]]] = {}
    # One requirement per logical line: backslash continuations joined, comments dropped.
    text = re.sub(r"\\\n", " ", (ROOT / name).read_text())
    for line in text.splitlines():
        line = line.split("#", 1)[0].strip()
        if not line:
            continue
        pin = _PIN.match(line)
        assert pin, f"{name}: not an exact pin: {line[:80]}"
        hashes = frozenset(_HASH.findall(line))
        assert hashes, f"{name}: {pin.group(1)} has no --hash (pip's hash-checking mode needs every package hashed)"
        entries[canonicalize_name(pin.group(1))] = (pin.group(2), hashes)
    return entries


def ranges(name: str) -> list[Requirement]:
    lines = [line.split("#", 1)[0].strip() for line in (ROOT / name).read_text().splitlines()]
    return [Requirement(line) for line in lines if line and not line.startswith("-")]


def test_runtime_lock_is_pinned_and_hashed() -> None:
    runtime = locked("requirements.txt")
    assert {"azure-functions", "httpx", "pydantic", "redis", "croniter"} <= set(runtime)


def test_dev_lock_carries_the_runtime_lock_unchanged() -> None:
    runtime, dev = locked("requirements.txt"), locked("requirements-dev.txt")
    differ = {name: (pin, dev.get(name)) for name, pin in runtime.items() if dev.get(name) != pin}
    assert not differ, f"requirements-dev.txt disagrees with requirements.txt (re-run both pip-compile lines): {differ}"
    assert {"pytest", "mypy", "ruff", "pytest-docker", "pip-tools", "azure-functions-runtime"} <= set(dev)


@pytest.mark.parametrize("name", ["requirements.txt", "requirements-dev.txt"])
def test_every_direct_requirement_is_locked_within_its_range(name: str) -> None:
    lock = locked(name)
    for requirement in ranges(name.replace(".txt", ".in")):
        version, _ = lock[canonicalize_name(requirement.name)]
        assert requirement.specifier.contains(version), f"{requirement.name}=={version} is outside {requirement}"


@pytest.mark.parametrize("name", ["requirements.in", "requirements-dev.in"])
def test_every_range_stops_before_an_untested_major_version(name: str) -> None:
    unbounded = [str(r) for r in ranges(name) if not any(s.operator in ("<", "<=", "==", "~=") for s in r.specifier)]
    assert not unbounded, f"{name}: give these an upper bound: {unbounded}"


def test_azure_functions_is_2x_for_python_313() -> None:
    version = Version(locked("requirements.txt")["azure-functions"][0])
    assert version in SpecifierSet(">=2,<3")


def test_the_regenerate_command_is_documented_at_the_top_of_requirements_in() -> None:
    head = "\n".join((ROOT / "requirements.in").read_text().splitlines()[:12])
    assert "pip-compile --generate-hashes --strip-extras -o requirements.txt requirements.in" in head
    assert "pip-compile --generate-hashes --strip-extras -o requirements-dev.txt requirements-dev.in" in head
