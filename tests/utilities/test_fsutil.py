"""workbench.fsutil: a failed write leaves the old file and no temp file."""

from __future__ import annotations

import stat

import pytest

from workbench.fsutil import atomic_path, atomic_write


def test_replaces_the_file_with_shareable_permissions(tmp_path):
    target = tmp_path / "sub" / "bericht.html"
    with atomic_write(target, "w", encoding="utf-8") as fh:
        fh.write("neu")
    assert target.read_text(encoding="utf-8") == "neu"
    assert stat.S_IMODE(target.stat().st_mode) == 0o644
    with atomic_write(target, "wb") as fh:
        fh.write(b"zweimal")
    assert target.read_bytes() == b"zweimal"
    assert [p.name for p in target.parent.iterdir()] == ["bericht.html"]


def test_exception_mid_write_keeps_the_old_file_and_no_temp_file(tmp_path):
    target = tmp_path / "export.csv"
    target.write_text("alt", encoding="utf-8")
    with pytest.raises(RuntimeError, match="mittendrin"):
        with atomic_write(target, "w", encoding="utf-8") as fh:
            fh.write("halb geschrieb")
            fh.flush()
            raise RuntimeError("mittendrin")
    assert target.read_text(encoding="utf-8") == "alt"
    assert [p.name for p in tmp_path.iterdir()] == ["export.csv"]


def test_atomic_path_failure_keeps_old_file(tmp_path):
    target = tmp_path / "cache.parquet"
    target.write_bytes(b"alt")
    with pytest.raises(OSError):
        with atomic_path(target) as tmp:
            assert tmp.parent == tmp_path and tmp.name.startswith(".cache.parquet.")
            tmp.write_bytes(b"halb")
            raise OSError("Platte voll")
    assert target.read_bytes() == b"alt"
    assert [p.name for p in tmp_path.iterdir()] == ["cache.parquet"]


def test_no_overwrite_refuses_an_existing_file(tmp_path):
    target = tmp_path / "katalog.yaml"
    with atomic_write(target, "w", encoding="utf-8", overwrite=False) as fh:
        fh.write("erster")
    with pytest.raises(FileExistsError):
        with atomic_write(target, "w", encoding="utf-8", overwrite=False) as fh:
            fh.write("zweiter")
    assert target.read_text(encoding="utf-8") == "erster"
    assert [p.name for p in tmp_path.iterdir()] == ["katalog.yaml"]


def test_rejects_reading_modes(tmp_path):
    with pytest.raises(ValueError):
        with atomic_write(tmp_path / "x", "a"):
            pass
