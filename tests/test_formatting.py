import datetime as dt
import math

from workbench import formatting as f


def test_integers_use_dot_thousands() -> None:
    assert f.fmt_int(119120) == "119.120"
    assert f.fmt_int(553689) == "553.689"
    assert f.fmt_int(10512441) == "10.512.441"
    assert f.fmt_int(0) == "0"


def test_percent_uses_decimal_comma_and_space() -> None:
    assert f.fmt_percent(21.51) == "21,5 %"
    assert f.fmt_percent(21.51, 2) == "21,51 %"
    assert f.fmt_percent(100 * 119120 / 553689, 2) == "21,51 %"


def test_large_numbers_with_decimals() -> None:
    assert f.fmt_number(1234.56, 1) == "1.234,6"
    assert f.fmt_currency(200400) == "200.400 €"


def test_points_are_signed() -> None:
    assert f.fmt_points(4.45, 2) == "+4,45 Prozentpunkte"
    assert f.fmt_points(-1.26) == "−1,3 Prozentpunkte"
    assert f.fmt_points_short(0.0) == "0,0 PP"


def test_missing_values_render_as_dash() -> None:
    assert f.fmt_int(None) == f.MISSING
    assert f.fmt_percent(math.nan) == f.MISSING


def test_dates_are_german() -> None:
    assert f.fmt_date(dt.date(2023, 12, 31)) == "31.12.2023"


def test_local_time_for_readers():
    from workbench.formatting import fmt_datetime_local

    # Winter (CET, +1 h) and summer (CEST, +2 h); what the batch records is UTC.
    assert fmt_datetime_local("2026-12-02T14:26:41+00:00") == "02.12.2026, 15:26 Uhr"
    assert fmt_datetime_local("2026-07-01T12:00:00+00:00") == "01.07.2026, 14:00 Uhr"
    assert fmt_datetime_local(dt.datetime(2026, 12, 31, 23, 30)) == "01.01.2027, 00:30 Uhr"
    assert fmt_datetime_local(None) == fmt_datetime_local("") == "–"


def test_points_value_has_sign_and_no_unit():
    assert f.fmt_points_value(4.45) == "+4,5"
    assert f.fmt_points_value(-3.94) == "−3,9"
