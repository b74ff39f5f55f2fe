"""The pure parts of bench/bench_hub.py: percentiles, verdicts, the users file it writes."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest

from workbench.hub.users import load_users, verify_password

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def bench():
    sys.path.insert(0, str(ROOT / "bench"))
    try:
        spec = importlib.util.spec_from_file_location("bench_hub", ROOT / "bench" / "bench_hub.py")
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        return module
    finally:
        sys.path.remove(str(ROOT / "bench"))


def test_percentile_interpolates(bench):
    values = [4.0, 1.0, 3.0, 2.0, 5.0]
    assert bench.percentile(values, 0.5) == 3.0
    assert bench.percentile(values, 0.95) == pytest.approx(4.8)
    assert bench.percentile([7.0], 0.95) == 7.0


def test_verdict_follows_the_measured_value(bench):
    assert bench.verdict(2.14, 3.0, "s", "p95") == "Ziel p95 ≤ 3 s: erreicht (2,1 s)"
    assert "nicht erreicht (151,0 MiB)" in bench.verdict(151.0, 150.0, "MiB", "Speicher")


def test_users_file_of_the_benchmark_logs_in(bench, tmp_path):
    path = tmp_path / "users.toml"
    path.write_text(bench.users_toml(["besucher-01", "besucher-02"], "lang-genug-123"),
                    encoding="utf-8")
    users = load_users(path)
    assert set(users) == {"besucher-01", "besucher-02"}
    assert users["besucher-02"].groups == ("leitung",)
    assert verify_password(users, "besucher-01", "lang-genug-123") is not None
    assert verify_password(users, "besucher-01", "falsch") is None


def test_dashboards_config_sizes_the_pool_and_caps(bench, tmp_path):
    import json

    folder = bench.dashboards_config(tmp_path, "handlungsfelder.ipynb", 20, 20)
    config = json.loads((folder / "voila.json").read_text(encoding="utf-8"))
    pools = config["VoilaKernelManager"]["kernel_pools_config"]
    assert pools["handlungsfelder.ipynb"] == {"pool_size": 20}
    assert config["WorkbenchVoila"]["max_kernels"] >= 20 + 20
    assert config["VoilaConfiguration"]["template"] == "workbench"  # the rest is kept
