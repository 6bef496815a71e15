"""The nightly as a user runs it: `make serve` (a real Prefect server, the deployment served in a
subprocess), scheduled runs for the next days, a triggered run against a fake site on 127.0.0.1,
its facts in the warehouse, `make stop`.

Everything runs under tmp_path (own port, PREFECT_HOME, logs, warehouse); every process started is
stopped in the end, also when the test fails. A served run executes the flow cloudpickled by value
in a subprocess, which in-process flow tests never do (tests/test_nightly.py).
"""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from uuid import UUID

import duckdb
import pytest

from tests.fakesite import FakeSite, static

ROOT = Path(__file__).resolve().parent.parent
REAL = Path(__file__).parent / "fixtures" / "real"
BIN = Path(sys.executable).parent
DEPLOYMENT = "xxgk-nightly/nightly"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def tail(path: Path, n: int = 40) -> str:
    try:
        return "\n".join(path.read_text(encoding="utf-8", errors="replace").splitlines()[-n:])
    except OSError:
        return f"({path} missing)"


def wait_for(what: str, check, timeout: float, every: float = 1.0, logs: tuple[Path, ...] = ()):
    """``check()`` until it returns something truthy; fails after ``timeout`` s with the logs' tails."""
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() > deadline:
            pytest.fail(f"{what}: not after {timeout} s\n" + "\n".join(f"--- {p}\n{tail(p)}" for p in logs))
        time.sleep(every)


def pid_alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def group_members(pgid: int, since: float) -> list:
    """Live processes of the process group ``pgid`` created since ``since`` (epoch seconds): what
    `make serve` started with setsid, and never a stranger that got a recycled pid."""
    import psutil

    found = []
    for proc in psutil.process_iter(["create_time"]):
        try:
            if os.getpgid(proc.pid) == pgid and proc.info["create_time"] >= since and proc.status() != "zombie":
                found.append(proc)
        except (ProcessLookupError, psutil.Error):
            pass
    return found


@pytest.fixture
def fake_site():
    site = FakeSite().start()
    listing = (
        '<html><head><meta charset="utf-8"></head><body><ul>'
        '<li><a href="/nb/2019.htm" title="平潭综合实验区2019年度政府信息公开工作年度报告">'
        "平潭综合实验区2019年度政府信息公开工作年度报告</a></li>"
        "</ul></body></html>"
    ).encode()
    site.routes["/nb/"] = static(listing, "text/html; charset=utf-8")
    site.routes["/nb/2019.htm"] = static((REAL / "pingtan_2019.html").read_bytes(), "text/html; charset=utf-8")
    try:
        yield site
    finally:
        site.stop()


@pytest.mark.slow
def test_served_nightly_schedules_runs_and_completes_a_triggered_run(tmp_path, fake_site):
    from prefect.client.orchestration import SyncPrefectClient
    from prefect.client.schemas.filters import DeploymentFilter, DeploymentFilterId, LogFilter, LogFilterFlowRunId

    sources = tmp_path / "sources.yaml"
    sources.write_text(
        "sources:\n"
        "  - publisher: 平潭综合实验区党工委管委会\n"
        f"    listing_urls: [{fake_site.base}/nb/]\n"
        f"    allowed_hosts: ['{fake_site.netloc}']\n"
        "    allow_private: true\n"
        "    politeness: {rate: 50, concurrency: 2, timeout: 5, retries: 0}\n",
        encoding="utf-8",
    )
    port = free_port()
    api = f"http://127.0.0.1:{port}/api"
    logs = tmp_path / "logs"
    db = tmp_path / "wh" / "xxgk.duckdb"
    parquet = tmp_path / "parquet"
    server_pid, nightly_pid = logs / "prefect-server.pid", logs / "nightly.pid"
    server_log, nightly_log = logs / "prefect-server.log", logs / "nightly.log"
    variables = [f"PREFECT_PORT={port}", f"PREFECT_HOME={tmp_path / 'prefect-home'}", f"LOGS={logs}",
                 f"SOURCES={sources}", f"DB={db}", f"PARQUET={parquet}", f"BIN={BIN}"]
    # the interpreter running the tests serves the flow; never reinstall from inside a test
    no_install = ["-o", str(ROOT / ".venv" / ".installed"), "-o", f"{BIN}/activate"]
    env = {k: v for k, v in os.environ.items()
           if k not in {"MAKEFLAGS", "MFLAGS", "MAKELEVEL", "PREFECT_API_URL", "PREFECT_PROFILES_PATH"}}
    env["COLUMNS"] = "200"

    def make(target: str, timeout: float) -> subprocess.CompletedProcess:
        return subprocess.run(["make", "--no-print-directory", *no_install, target, *variables], cwd=ROOT, env=env,
                              capture_output=True, text=True, timeout=timeout)

    started = time.monotonic()
    since = time.time() - 1
    pids: list[int] = []
    # pid files left by a dead server and a dead nightly (a crash, a reboot) are removed, not trusted
    logs.mkdir()
    dead = subprocess.Popen(["true"])
    dead.wait()
    server_pid.write_text(f"{dead.pid}\n")
    nightly_pid.write_text(f"{dead.pid}\n")
    try:
        serve = make("serve", timeout=240)
        for f in (server_pid, nightly_pid):
            if f.exists() and int(f.read_text()) != dead.pid:
                pids.append(int(f.read_text()))
        assert serve.returncode == 0, f"{serve.stdout}\n{serve.stderr}\n{tail(server_log)}\n{tail(nightly_log)}"
        assert serve.stdout.count("removing stale") == 2, serve.stdout
        assert f"Prefect server answers at {api}" in serve.stdout
        assert "serving the nightly deployment xxgk-nightly/nightly" in serve.stdout
        assert all(pid_alive(pid) for pid in pids) and len(pids) == 2

        # `make serve` again reuses what runs
        again = make("serve", timeout=60)
        assert again.returncode == 0 and "reusing it" in again.stdout, again.stdout + again.stderr
        assert [int(server_pid.read_text()), int(nightly_pid.read_text())] == pids

        with SyncPrefectClient(api=api) as client:
            deployment = client.read_deployment_by_name(DEPLOYMENT)
            assert [(s.schedule.cron, s.schedule.timezone) for s in deployment.schedules] == [
                ("30 2 * * *", "Asia/Shanghai")]

            def scheduled():
                runs = client.read_flow_runs(deployment_filter=DeploymentFilter(id=DeploymentFilterId(any_=[deployment.id])))
                runs = sorted((r for r in runs if r.state_type and r.state_type.value == "SCHEDULED"),
                              key=lambda r: r.expected_start_time)
                return runs if len(runs) >= 3 else None

            runs = wait_for("three scheduled runs of the nightly", scheduled, timeout=120, logs=(server_log,))
            now = datetime.now(UTC)
            starts = [r.expected_start_time.astimezone(UTC) for r in runs]
            assert all(start > now for start in starts)
            assert starts[0] - now <= timedelta(days=1)
            assert all((s.hour, s.minute) == (18, 30) for s in starts)  # 02:30 in Asia/Shanghai
            assert [b - a for a, b in zip(starts, starts[1:], strict=False)][:2] == [timedelta(days=1)] * 2

            trigger = make("trigger", timeout=120)
            assert trigger.returncode == 0, trigger.stdout + trigger.stderr
            match = re.search(r"UUID: ([0-9a-f-]{36})", trigger.stdout)
            assert match, trigger.stdout
            run_id = UUID(match.group(1))

            def finished():
                run = client.read_flow_run(run_id)
                return run if run.state and run.state.is_final() else None

            run = wait_for("the triggered run to finish", finished, timeout=300, logs=(nightly_log,))
            assert run.state.is_completed(), f"{run.state}\n{tail(nightly_log, 80)}"
            run_logs = client.read_logs(log_filter=LogFilter(flow_run_id=LogFilterFlowRunId(any_=[run_id])))
            assert any(log.level == 20 and "Beginning flow run" in log.message for log in run_logs)  # INFO in the UI

        log_text = nightly_log.read_text(encoding="utf-8")
        assert "INFO" in log_text and "crawl: 1 fetched (new or changed), 0 unchanged" in log_text
        con = duckdb.connect(str(db), read_only=True)
        try:
            assert con.execute("select source_uri, report_year, template_version, status from dim_reports").fetchall() == [
                (f"{fake_site.base}/nb/2019.htm", 2019, "2019", "loaded")]
            assert con.execute("select count(*) from fct_applications").fetchone() == (161,)
            assert con.execute("select count(*) from crawl.fetch_log").fetchone()[0] >= 2
        finally:
            con.close()
        assert (parquet / "fct_applications" / "report_year=2019").is_dir()

        # the run's process and its extraction workers exit when the run ends (they once hung at exit)
        import psutil

        def alive_command(process):
            """The command line of a running process; None once it has exited (a zombie not yet reaped has)."""
            try:
                if process.status() == psutil.STATUS_ZOMBIE:
                    return None
                return " ".join(process.cmdline())
            except (psutil.NoSuchProcess, psutil.ZombieProcess):
                return None

        def run_processes_gone():
            children = psutil.Process(pids[1]).children(recursive=True)
            commands = [alive_command(c) for c in children]
            return not [c for c in commands if c is not None and "resource_tracker" not in c]

        wait_for("the flow run's processes to exit", run_processes_gone, timeout=60, logs=(nightly_log,))

        stop = make("stop", timeout=120)
        assert stop.returncode == 0, stop.stdout + stop.stderr
        assert not server_pid.exists() and not nightly_pid.exists()
        wait_for("every process make serve started to exit",
                 lambda: not any(group_members(pid, since) for pid in pids), timeout=30)
        print(f"served nightly test: {time.monotonic() - started:.1f} s", file=sys.stderr)
    finally:
        if server_pid.exists() or nightly_pid.exists():
            make("stop", timeout=120)
        for pid in pids:  # whatever `make stop` left of the groups `make serve` started
            for proc in group_members(pid, since):
                proc.kill()
