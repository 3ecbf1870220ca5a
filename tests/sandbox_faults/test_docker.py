"""The Docker backend of ``dbctl sandbox``, for real: a Docker engine and a local image.

``.ci/docker-sandbox`` (sourced by ``.ci/run``, or by these tests when it was not) starts
the engine, builds the image from Debian's packages once, and exports
TESTCONTAINERS_RYUK_DISABLED, TC_HOST, TESTCONTAINERS_CONNECTION_MODE and
DBCTL_SANDBOX_IMAGE. Where Docker cannot be provisioned these tests skip and say why;
under CI they fail.
"""

from __future__ import annotations

import os
import shlex
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from dbctl import DISTRIBUTION, sandbox

pytestmark = pytest.mark.db

DOCKER_RUN = [sys.executable, "-m", "dbctl", "sandbox", "run", "--backend", "docker", "--"]
CONNECT = (
    "import asyncio, os, sys, asyncpg\n"
    "u = os.environ['DATABASE_URL'].replace('postgresql+asyncpg', 'postgresql')\n"
    "async def main():\n"
    "    c = await asyncpg.connect(u)\n"
    "    print(await c.fetchval('select 40 + 2'), u.split('@')[1].split(':')[0])\n"
    "    await c.close()\n"
    "asyncio.run(main())\n"
)


PROVISIONED = ("TESTCONTAINERS_RYUK_DISABLED", "TC_HOST", "TESTCONTAINERS_CONNECTION_MODE")
PROVISION = Path(__file__).resolve().parents[2] / ".ci" / "docker-sandbox"


def _provision() -> None:
    """What ``.ci/run`` does, for a plain ``pytest`` run: source .ci/docker-sandbox (fast
    once the engine runs and the image exists) and take over the variables it exports."""
    names = (*PROVISIONED, "DBCTL_SANDBOX_IMAGE", "DBCTL_DOCKER_UNAVAILABLE")
    script = f". {shlex.quote(str(PROVISION))} >&2; " + "; ".join(
        f'printf "%s=%s\\n" {n} "${{{n}:-}}"' for n in names
    )
    try:
        out = subprocess.run(
            ["bash", "-c", script], capture_output=True, text=True, timeout=900, check=False
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        os.environ["DBCTL_DOCKER_UNAVAILABLE"] = f"cannot run .ci/docker-sandbox: {exc}"
        return
    for line in out.stdout.splitlines():
        name, _, value = line.partition("=")
        if value:
            os.environ[name] = value


@pytest.fixture(scope="module")
def image() -> str:
    if not os.environ.get("DBCTL_SANDBOX_IMAGE") and not os.environ.get("DBCTL_DOCKER_UNAVAILABLE"):
        _provision()
    reason = None
    if os.environ.get("DBCTL_DOCKER_UNAVAILABLE"):
        reason = os.environ["DBCTL_DOCKER_UNAVAILABLE"]
    elif not os.environ.get("DBCTL_SANDBOX_IMAGE"):
        reason = "the Docker sandbox could not be provisioned (.ci/docker-sandbox)"
    else:
        problem = sandbox.docker_problem()
        if problem is not None:
            reason = problem[0]
    if reason is not None:
        if os.environ.get("CI"):
            pytest.fail(f"CI is set and the Docker backend cannot run: {reason}")
        pytest.skip(reason)
    return os.environ["DBCTL_SANDBOX_IMAGE"]


def containers(pids: list[int] | int) -> list[Any]:
    """The sandbox containers owned by these dbctl processes (their label), so that tests
    running at the same time (pytest -n, another suite on the same engine) never count
    each other's containers."""
    import docker

    client = docker.from_env(timeout=10)
    found = []
    for pid in [pids] if isinstance(pids, int) else pids:
        # sparse: no inspect per container, which would race with a removal elsewhere
        label = f"{sandbox.DOCKER_LABEL}.pid={pid}"
        found += client.containers.list(all=True, sparse=True, filters={"label": label})
    return found


@pytest.fixture
def started(image: str) -> Iterator[list[int]]:
    """The pids of the dbctl processes a test starts; afterwards none may own a container."""
    pids: list[int] = []
    yield pids
    assert pids, "the test started no dbctl process"
    leftovers = containers(pids)
    for c in leftovers:
        c.remove(force=True)
    assert leftovers == [], "dbctl left a container behind"


def dbctl(
    *args: str, env: dict[str, str] | None = None, pids: list[int] | None = None
) -> subprocess.CompletedProcess[str]:
    full = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    full.update(env or {})
    cmd = [sys.executable, "-m", "dbctl", *args]
    with subprocess.Popen(
        cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=full
    ) as proc:
        if pids is not None:
            pids.append(proc.pid)
        try:
            out, err = proc.communicate(timeout=180)
        except subprocess.TimeoutExpired:
            proc.kill()
            raise
    return subprocess.CompletedProcess(cmd, proc.returncode, out, err)


def test_sandbox_run_on_docker(started: list[int]) -> None:
    res = dbctl(
        "sandbox", "run", "--backend", "docker", "--", sys.executable, "-c", CONNECT, pids=started
    )
    assert res.returncode == 0, res.stderr
    assert res.stdout.split() == ["42", "127.0.0.1"]


def test_the_port_is_published_on_127_0_0_1_only(started: list[int]) -> None:
    script = (
        "import docker, os\n"
        "port = os.environ['DATABASE_URL'].rsplit(':', 1)[1].split('/')[0]\n"
        "for c in docker.from_env().containers.list():\n"
        "    for binding in (c.ports.get('5432/tcp') or []):\n"
        "        if binding['HostPort'] == port:\n"
        "            print(binding['HostIp'])\n"
    )
    res = dbctl(
        "sandbox", "run", "--backend", "docker", "--", sys.executable, "-c", script, pids=started
    )
    assert res.returncode == 0, res.stderr
    assert res.stdout.split() == ["127.0.0.1"]


def _wait_for_command(flag: Path, pid: int) -> None:
    """Until CMD has touched ``flag``; then dbctl (``pid``) must own exactly one container."""
    deadline = time.monotonic() + 120
    while not flag.exists() and time.monotonic() < deadline:
        time.sleep(0.1)
    assert flag.exists(), "the command never started"
    assert len(containers(pid)) == 1, "no container labelled with dbctl's pid"


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM])
def test_a_signal_removes_the_container(started: list[int], sig: int, tmp_path: Path) -> None:
    flag = tmp_path / "started"
    script = f"import pathlib, time; pathlib.Path({str(flag)!r}).touch(); time.sleep(60)"
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    proc = subprocess.Popen(
        [*DOCKER_RUN, sys.executable, "-c", script],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
        # a test run started in the background of a shell ignores SIGINT, and an ignored
        # signal stays ignored across exec: give dbctl and CMD the terminal's default
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )
    started.append(proc.pid)
    try:
        _wait_for_command(flag, proc.pid)
        if sig == signal.SIGINT:
            os.killpg(proc.pid, sig)  # Ctrl-C: the whole foreground group
        else:
            os.kill(proc.pid, sig)
        _out, err = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == 128 + sig, err
    assert "dbctl/" not in err, "no traceback from dbctl (the command's own is its business)"


def test_sigkill_of_dbctl_removes_the_container(started: list[int], tmp_path: Path) -> None:
    flag = tmp_path / "started"
    script = f"import pathlib, time; pathlib.Path({str(flag)!r}).touch(); time.sleep(60)"
    proc = subprocess.Popen(
        [*DOCKER_RUN, sys.executable, "-c", script],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    started.append(proc.pid)
    try:
        _wait_for_command(flag, proc.pid)
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
        deadline = time.monotonic() + 20
        while containers(proc.pid) and time.monotonic() < deadline:
            time.sleep(0.2)
        assert containers(proc.pid) == [], "the watchdog did not remove the container"
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


def test_an_image_that_cannot_be_pulled_is_one_line(image: str) -> None:
    res = dbctl(*DOCKER_RUN[3:], "true", env={"DBCTL_SANDBOX_IMAGE": "dbctl-test/no-such-image:0"})
    assert res.returncode == 2, res.stderr
    errors = [ln for ln in res.stderr.splitlines() if ln.startswith("error:")]
    assert len(errors) == 1 and "dbctl-test/no-such-image:0" in errors[0], res.stderr
    assert "DBCTL_SANDBOX_IMAGE" in res.stderr
    assert "Traceback" not in res.stderr and "internal error" not in res.stderr


def test_a_stopped_daemon_is_one_line(image: str) -> None:
    res = dbctl(*DOCKER_RUN[3:], "true", env={"DOCKER_HOST": "unix:///nonexistent/docker.sock"})
    assert res.returncode == 2, res.stderr
    assert "no Docker engine answers" in res.stderr
    assert image in res.stderr and "DBCTL_SANDBOX_IMAGE" in res.stderr
    assert "Traceback" not in res.stderr


def test_missing_docker_extra_names_the_install_command() -> None:
    """Runs everywhere: the docker packages are hidden from the import system."""
    code = (
        "import sys\n"
        "sys.modules['docker'] = None\n"
        "sys.modules['testcontainers'] = None\n"
        "sys.modules['testcontainers.core'] = None\n"
        "sys.modules['testcontainers.core.container'] = None\n"
        "from dbctl.cli import main\n"
        "sys.argv = ['dbctl', 'sandbox', 'run', '--backend', 'docker', '--', 'true']\n"
        "main()\n"
    )
    res = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=False
    )
    assert res.returncode == 2, res.stderr
    assert f"pip install '{DISTRIBUTION}[docker]'" in res.stderr
    assert "Traceback" not in res.stderr
