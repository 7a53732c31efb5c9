"""Rails (Zendesk) time zone names and IANA identifiers: slaweb.timezones.

Plain pytest: no Django settings and no database needed.
"""

import zoneinfo

import pytest

from slaweb.timezones import (
    RAILS_TO_IANA,
    TIME_ZONE_CHOICES,
    rails_name,
    resolve_time_zone,
)

AVAILABLE = zoneinfo.available_timezones()


def test_mapping_is_complete_enough() -> None:
    # Rails 7.x has 151 names; anything much shorter is a truncated copy.
    assert len(RAILS_TO_IANA) >= 140


def test_every_mapping_value_is_a_valid_iana_zone() -> None:
    invalid = {name: iana for name, iana in RAILS_TO_IANA.items() if iana not in AVAILABLE}
    assert invalid == {}


def test_rails_names_are_unique_ignoring_case() -> None:
    assert len({name.casefold() for name in RAILS_TO_IANA}) == len(RAILS_TO_IANA)


@pytest.mark.parametrize(
    ("rails", "iana"),
    [
        ("Eastern Time (US & Canada)", "America/New_York"),
        ("Pacific Time (US & Canada)", "America/Los_Angeles"),
        ("London", "Europe/London"),
        ("Edinburgh", "Europe/London"),
        ("Kathmandu", "Asia/Kathmandu"),
        ("International Date Line West", "Etc/GMT+12"),
        ("Nuku'alofa", "Pacific/Tongatapu"),
        ("UTC", "Etc/UTC"),
    ],
)
def test_rails_names_resolve(rails: str, iana: str) -> None:
    assert RAILS_TO_IANA[rails] == iana
    assert resolve_time_zone(rails) == iana


@pytest.mark.parametrize(
    "spelling",
    ["eastern time (us & canada)", "EASTERN TIME (US & CANADA)", "eAsTeRn TiMe (Us & CaNaDa)"],
)
def test_rails_names_are_case_insensitive(spelling: str) -> None:
    assert resolve_time_zone(spelling) == "America/New_York"


def test_lowercase_rails_name_kathmandu() -> None:
    assert resolve_time_zone("kathmandu") == "Asia/Kathmandu"


@pytest.mark.parametrize(
    "iana",
    ["America/New_York", "Europe/London", "Asia/Kathmandu", "Europe/Kyiv", "Etc/UTC", "UTC"],
)
def test_iana_names_pass_through(iana: str) -> None:
    expected = "Etc/UTC" if iana == "UTC" else iana  # "UTC" is also a Rails name
    assert resolve_time_zone(iana) == expected


def test_iana_names_are_case_sensitive() -> None:
    assert resolve_time_zone("america/new_york") is None
    assert resolve_time_zone("AMERICA/NEW_YORK") is None


@pytest.mark.parametrize(
    "hostile",
    [
        "",
        " ",
        "Nowhere/Special",
        "Eastern Time",
        " London",
        "London ",
        "../../etc/passwd",
        "/etc/passwd",
        "/usr/share/zoneinfo/UTC",
        "America/../Europe/London",
        ".",
        "..",
        "America/",
        "America",
        "localtime",
        "posixrules",
        "Europe/London\x00",
        "\x00",
        "a\x00b",
        "x" * 100_000,
        "America/New_York" * 1_000,
        "\ud800",
        "Europe/Lond\u00f6n",
        "%s%n",
    ],
)
def test_unknown_and_hostile_strings_resolve_to_none(hostile: str) -> None:
    assert resolve_time_zone(hostile) is None


@pytest.mark.parametrize("not_a_string", [None, 0, b"London", ["London"]])
def test_non_strings_resolve_to_none(not_a_string: object) -> None:
    assert resolve_time_zone(not_a_string) is None  # type: ignore[arg-type]
    assert rails_name(not_a_string) is None  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "rails",
    [
        "Eastern Time (US & Canada)",
        "Pacific Time (US & Canada)",
        "Kathmandu",
        "Seoul",
        "Samoa",
        "UTC",
    ],
)
def test_rails_name_round_trips(rails: str) -> None:
    iana = resolve_time_zone(rails)
    assert iana is not None
    assert rails_name(iana) == rails


@pytest.mark.parametrize(
    ("iana", "rails"),
    [
        # Several Rails names share one IANA zone: the first in MAPPING order wins.
        ("Europe/London", "Edinburgh"),
        ("Asia/Kolkata", "Chennai"),
        ("Asia/Tokyo", "Osaka"),
        ("Pacific/Auckland", "Auckland"),
    ],
)
def test_rails_name_picks_first_in_mapping_order(iana: str, rails: str) -> None:
    assert rails_name(iana) == rails


@pytest.mark.parametrize("iana", ["America/Toronto", "Europe/Kyiv", "", "London", "../x"])
def test_rails_name_of_unmapped_zone_is_none(iana: str) -> None:
    assert rails_name(iana) is None


def test_every_rails_iana_pair_round_trips_to_some_rails_name_for_that_zone() -> None:
    for name, iana in RAILS_TO_IANA.items():
        back = rails_name(iana)
        assert back is not None
        assert RAILS_TO_IANA[back] == iana, name


def test_choices_cover_every_rails_zone_labelled_by_name() -> None:
    assert sorted(TIME_ZONE_CHOICES) == sorted((iana, name) for name, iana in RAILS_TO_IANA.items())


def test_choices_are_sorted_by_offset_then_name() -> None:
    labels = [label for _, label in TIME_ZONE_CHOICES]
    # West of UTC first, the date line's far side last.
    assert labels[0] == "International Date Line West"
    assert labels.index("Hawaii") < labels.index("Eastern Time (US & Canada)")
    assert labels.index("Eastern Time (US & Canada)") < labels.index("London")
    assert labels.index("London") < labels.index("Kathmandu") < labels.index("Tokyo")
    assert labels.index("Tokyo") < labels.index("Auckland")
    # Same offset: alphabetical by name.
    assert labels.index("Dublin") < labels.index("Edinburgh") < labels.index("London")
    assert labels.index("Chennai") < labels.index("Kolkata") < labels.index("Mumbai")
