"""Idle JupyterLab servers are stopped by jupyterhub-idle-culler (``--idle-timeout``)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from workbench.hub.users import add_user

from .conftest import PASSWORD, RunningHub, launch, stop, wait_until

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def short_hub(tmp_path_factory) -> Iterator[RunningHub]:
    folder = tmp_path_factory.mktemp("hub-culler")
    users = folder / "users.toml"
    add_user(users, "a.nalyst", PASSWORD, ["analyse"])
    running = launch(folder, ["--users-file", str(users), "--idle-timeout", "10"],
                     "a.nalyst", users_file=users)
    try:
        yield running
    finally:
        stop(running)
    assert running.left_after_stop == []  # type: ignore[attr-defined]


def lab_processes(hub: RunningHub) -> list:
    return [p for p in hub.processes() if "jupyterhub-singleuser" in " ".join(p.cmdline())]


def test_idle_jupyterlab_is_stopped(short_hub: RunningHub):
    session = short_hub.login("a.nalyst")
    session.get(f"{short_hub.url}/hub/spawn", timeout=180)
    wait_until(lambda: lab_processes(short_hub), 120, "JupyterLab gestartet", short_hub)
    # nobody uses it: gone after the timeout (10 s) plus one check interval (5 s)
    wait_until(lambda: not lab_processes(short_hub), 90, "JupyterLab beendet", short_hub)
    assert "Culling server" in short_hub.log_text() or "culling" in short_hub.log_text().lower()
