"""workbench.region: the one home of the regional key (real GV-ISys register, no mocks)."""

from __future__ import annotations

import polars as pl
import pytest

from workbench import region


def test_kreise_cover_baden_wuerttemberg():
    kreise = region.kreise()
    assert kreise.height == 44
    assert kreise.get_column("n_municipalities").sum() == 1103
    assert region.municipalities(kreis="08").height == 1103
    # Every Kreis' register holds exactly its own municipalities.
    for ags, n in kreise.select("ags", "n_municipalities").iter_rows():
        register = region.municipalities(kreis=ags)
        assert register.height == n
        assert register.get_column("ags").str.starts_with(ags).all()
    kinds = dict(kreise.select("ags", "kind").iter_rows())
    assert kinds["08111"] == "Stadtkreis" and kinds["08118"] == "Landkreis"
    assert sum(k == "Stadtkreis" for k in kinds.values()) == 9


@pytest.mark.parametrize(("query", "expected"), [
    ("08115", ("08115", "Landkreis Böblingen")),
    ("8115", ("08115", "Landkreis Böblingen")),
    ("böblingen", ("08115", "Landkreis Böblingen")),
    ("Landkreis Boeblingen", ("08115", "Landkreis Böblingen")),
    ("Stuttgart", ("08111", "Stadtkreis Stuttgart")),
    ("Stadtkreis Heilbronn", ("08121", "Stadtkreis Heilbronn")),
    ("Landkreis Heilbronn", ("08125", "Landkreis Heilbronn")),
    ("ludwigsburg", ("08118", "Landkreis Ludwigsburg")),
])
def test_resolve_kreis(query, expected):
    assert region.resolve_kreis(query) == expected


def test_resolve_kreis_errors_are_german_and_helpful():
    ambiguous = "Mehrdeutiger Kreis „Heilbronn“.*08121.*08125"
    with pytest.raises(region.UnknownKreisError, match=ambiguous):
        region.resolve_kreis("Heilbronn")
    with pytest.raises(region.UnknownKreisError, match="Meinten Sie: Landkreis Böblingen"):
        region.resolve_kreis("Böblngen")
    with pytest.raises(region.UnknownKreisError, match="44 Stadt- und Landkreise"):
        region.resolve_kreis("09162")


def test_resolve_municipality_in_any_kreis_and_ambiguous_names():
    assert region.resolve("aidlingen", region.municipalities(kreis="08115")) == (
        "08115001", "Aidlingen")
    assert region.resolve("08111000", region.municipalities(kreis="08111")) == (
        "08111000", "Stuttgart")
    land = region.municipalities(kreis="08")
    altdorf = land.filter(pl.col("name") == "Altdorf")
    assert altdorf.height >= 2  # the reason the check exists
    with pytest.raises(region.UnknownMunicipalityError, match="Mehrdeutige Gemeinde „Altdorf“"):
        region.resolve("Altdorf", land)
    ags = altdorf.get_column("ags")[0]
    assert region.resolve(ags, land) == (ags, "Altdorf")
    with pytest.raises(region.UnknownMunicipalityError, match="im Landkreis Böblingen"):
        region.resolve("Atlantis", region.municipalities(kreis="08115"))


def test_names_and_keys():
    assert region.kreis_of("08118076") == "08118"
    assert region.kreis_of("08115") == "08115"
    with pytest.raises(ValueError, match="kein Gemeinde- oder Kreisschlüssel"):
        region.kreis_of("Sachsenheim")
    assert region.name_of("08118076") == "Sachsenheim"
    assert region.name_of("08111") == "Stadtkreis Stuttgart"
    assert region.name_of("08") == "Baden-Württemberg"
    assert region.is_stadtkreis("08111") and not region.is_stadtkreis("08118")
    assert region.area_names("08115") == {"08115": "Landkreis Böblingen",
                                          "08": "Baden-Württemberg"}


def test_default_kreis_from_environment():
    assert region.default_kreis({}) == "08118"
    assert region.default_kreis({"WORKBENCH_KREIS": "08115"}) == "08115"
    with pytest.raises(ValueError, match="WORKBENCH_KREIS=„Böblingen“"):
        region.default_kreis({"WORKBENCH_KREIS": "Böblingen"})


def test_kreise_read_back_from_the_parquet_cache(tmp_path, monkeypatch):
    """A fresh report worker reads the Kreise from disk instead of parsing GV-ISys again."""
    from polars.testing import assert_frame_equal

    monkeypatch.setenv("WORKBENCH_CACHE_DIR", str(tmp_path))
    region._kreise.cache_clear()
    built = region.kreise()
    files = list(tmp_path.glob("kreise-08-*.parquet"))
    assert len(files) == 1
    region._kreise.cache_clear()
    assert_frame_equal(region.kreise(), built)  # read back from parquet
    files[0].write_bytes(b"PAR1" + b"\0" * 8)
    region._kreise.cache_clear()
    assert_frame_equal(region.kreise(), built)  # a broken cache file is rebuilt, not fatal
    assert files[0].read_bytes()[-4:] == b"PAR1"
    region._kreise.cache_clear()
