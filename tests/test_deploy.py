"""deploy/: every command the Dockerfile and the systemd unit run is a real entry point and subcommand,
and the files they copy exist. (`.ci/verify-unit` runs `systemd-analyze verify` where it exists.)"""

from __future__ import annotations

import argparse
import json
import re
import shlex
import tomllib
from pathlib import Path

from bot.__main__ import _parser

ROOT = Path(__file__).resolve().parent.parent
DEPLOY = ROOT / "deploy"


def subcommands() -> set[str]:
    [sub] = [a for a in _parser()._actions if isinstance(a, argparse._SubParsersAction)]
    return set(sub.choices)


def dockerfile_commands() -> list[list[str]]:
    """The argv of each `hamcoach ...` in RUN, CMD and HEALTHCHECK (exec or shell form)."""
    text = (DEPLOY / "Dockerfile").read_text().replace("\\\n", " ")
    found = []
    for line in text.splitlines():
        match = re.match(r"\s*(RUN|CMD|HEALTHCHECK)\s+(.*)", line)
        if not match:
            continue
        rest = match.group(2)
        if match.group(1) == "HEALTHCHECK":
            rest = rest.split("CMD", 1)[1]
        rest = rest.strip()
        words = json.loads(rest) if rest.startswith("[") else shlex.split(rest)
        for part in " ".join(words).split("&&"):
            argv = part.split()
            if argv and argv[0] == "hamcoach":
                found.append(argv)
    return found


def unit_commands() -> list[list[str]]:
    lines = (DEPLOY / "hamcoach.service").read_text().splitlines()
    return [shlex.split(line.split("=", 1)[1]) for line in lines if re.match(r"Exec\w+=", line)]


def test_the_entry_point_is_the_cli() -> None:
    scripts = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["scripts"]
    assert scripts["hamcoach"] == "bot.__main__:main"


def test_the_dockerfile_runs_real_subcommands_and_copies_real_files() -> None:
    commands = dockerfile_commands()
    assert {c[1] for c in commands} >= {"check", "run", "health"}, commands
    assert all(c[1] in subcommands() for c in commands), commands
    for line in (DEPLOY / "Dockerfile").read_text().splitlines():
        if line.startswith("COPY"):
            *sources, _target = line.split()[1:]
            assert all((ROOT / s).exists() for s in sources), line


def test_the_unit_runs_real_subcommands_of_the_venv_entry_point() -> None:
    commands = unit_commands()
    assert {c[1] for c in commands} == {"check", "run"}, commands
    for argv in commands:
        assert argv[0] == "/opt/hamcoach/.venv/bin/hamcoach" and argv[1] in subcommands()


def test_every_subcommand_is_in_the_readme() -> None:
    readme = (ROOT / "README.md").read_text()
    assert [c for c in sorted(subcommands()) if f"`hamcoach {c}" not in readme] == []
