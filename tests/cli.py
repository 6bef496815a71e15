"""Run the ``xxgk`` command as a user types it: the console script of the environment running the tests."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import duckdb

from tests.conftest import ROOT

XXGK = Path(sys.executable).parent / "xxgk"  # .venv/bin/xxgk under `make test`


def cli_env(prefect: bool = True) -> dict[str, str]:
    """The environment of a command; with ``prefect``, the session's Prefect API (tests/conftest.py
    ``prefect_harness``), so the command starts no temporary server of its own."""
    env = {k: v for k, v in os.environ.items() if k != "PREFECT_API_URL"}
    if prefect:
        from prefect.settings import get_current_settings

        env["PREFECT_API_URL"] = str(get_current_settings().api.url)
    return env


def xxgk(*args: str | Path, prefect: bool = True, timeout: float = 300, cwd: Path = ROOT
         ) -> subprocess.CompletedProcess:
    """``xxgk ARGS...`` in a subprocess; stdout and stderr captured as text."""
    return subprocess.run([str(XXGK), *map(str, args)], cwd=cwd, env=cli_env(prefect), capture_output=True,
                          text=True, timeout=timeout)


def xxgk_json(*args: str | Path, expect: int = 0) -> dict:
    """``xxgk ARGS... --json``: the exit code checked, stdout parsed (it must hold the JSON summary only)."""
    done = xxgk(*args, "--json")
    assert done.returncode == expect, (done.returncode, done.stderr[-3000:])
    return json.loads(done.stdout)


def query(db: Path, sql: str, params: list | None = None) -> list[tuple]:
    con = duckdb.connect(str(db), read_only=True)
    try:
        return con.execute(sql, params or []).fetchall()
    finally:
        con.close()


def name(uri: str) -> str:
    return uri.rsplit("/", 1)[-1]
