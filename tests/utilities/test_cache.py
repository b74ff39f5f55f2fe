"""workbench.cache: the input-keyed cache decorator and the registry the warm kernel asks."""

from __future__ import annotations

import functools
import os
import sys
import types

import pytest

from workbench import cache
from workbench.reports import kernelstate


def _touch(path, text: str, mtime_ns: int) -> None:
    path.write_text(text, encoding="utf-8")
    os.utime(path, ns=(mtime_ns, mtime_ns))


def test_hit_until_an_input_file_changes(tmp_path):
    calls = []

    @cache.input_keyed_cache(lambda path: [path])
    def read(path):
        calls.append(path)
        return path.read_text(encoding="utf-8")

    f = tmp_path / "a.txt"
    _touch(f, "eins", 1_000_000_000)
    assert read(f) == "eins"
    assert read(f) == "eins"
    assert len(calls) == 1
    # Same size, new mtime: re-read.
    _touch(f, "zwei", 2_000_000_000)
    assert read(f) == "zwei"
    # Same mtime, other size: re-read.
    _touch(f, "drei!", 2_000_000_000)
    assert read(f) == "drei!"
    assert len(calls) == 3
    assert read.cache_info().currsize == 3


def test_key_includes_arguments_and_skips_missing_inputs(tmp_path):
    calls = []

    @cache.input_keyed_cache(lambda path, optional, *, scale=1: [path, optional])
    def size(path, optional, *, scale=1):
        calls.append(scale)
        return path.stat().st_size * scale

    f = tmp_path / "a.txt"
    f.write_text("abc", encoding="utf-8")
    assert size(f, None) == 3
    assert size(f, None, scale=2) == 6
    assert size(f, None, scale=2) == 6
    assert calls == [1, 2]


def test_missing_input_file_raises(tmp_path):
    @cache.input_keyed_cache(lambda path: [path])
    def read(path):
        raise AssertionError("not called without its input")

    with pytest.raises(FileNotFoundError):
        read(tmp_path / "fehlt.txt")


def test_registry_knows_decorated_functions_only():
    @cache.input_keyed_cache(lambda: [])
    def decorated():
        return 1

    @functools.lru_cache
    def plain():
        return 2

    assert cache.is_input_keyed(decorated)
    assert decorated in cache.input_keyed_caches()
    assert not cache.is_input_keyed(plain)
    assert not cache.is_input_keyed(decorated.__wrapped__)


def test_kernel_reset_keeps_a_new_input_keyed_cache_without_naming_it(tmp_path, monkeypatch):
    """A function decorated anywhere in the package survives the warm-kernel reset; a plain
    lru_cache is cleared. Nothing in kernelstate names either function."""
    f = tmp_path / "input.txt"
    f.write_text("x", encoding="utf-8")
    module = types.ModuleType("workbench._test_new_cache_module")

    @cache.input_keyed_cache(lambda path: [path])
    def brand_new_loader(path):
        return path.read_text(encoding="utf-8")

    @functools.lru_cache
    def plain_cache(value):
        return value

    module.brand_new_loader = brand_new_loader
    module.plain_cache = plain_cache
    monkeypatch.setitem(sys.modules, module.__name__, module)
    brand_new_loader(f)
    plain_cache(1)

    cleared = kernelstate._clear_workbench_caches()

    assert brand_new_loader.cache_info().currsize == 1
    assert plain_cache.cache_info().currsize == 0
    assert cleared >= 1
    assert "brand_new_loader" not in open(kernelstate.__file__, encoding="utf-8").read()


def test_package_file_caches_are_registered():
    """The file-stat caches of the package are made with the decorator (kept by the reset)."""
    from workbench import catalogue, integration, observation, region
    from workbench.loaders import geo
    from workbench.population import build, estimate
    from workbench.reports import context, render

    for func in (region.load_gv, region._municipalities, region._kreise,
                 integration._table_frame, integration._azr_frame,
                 integration._indicators_cached, context._catalogues, geo._land_boundaries,
                 observation._catalogue_specs, catalogue._parse_cached, build._build,
                 estimate.estimation_inputs_cached, render._read_notebook):
        assert cache.is_input_keyed(func), func.__qualname__
