"""Time zone names: Rails (Zendesk) names and IANA identifiers.

Zendesk's APIs name time zones the way Ruby on Rails does, with the friendly
names of ``ActiveSupport::TimeZone::MAPPING`` ("Eastern Time (US & Canada)",
"London", "Kathmandu", ...): responses show that name as ``time_zone`` and the
IANA identifier as ``iana_time_zone``. Clients written against Zendesk send the
Rails names, so slaweb accepts them. Python's ``zoneinfo`` and PostgreSQL work
with IANA identifiers ("America/New_York"), and many clients already have those,
so slaweb accepts them too. Either kind resolves here to the IANA
identifier, which is what slaweb computes with; ``rails_name`` gives the Rails
name back for Zendesk-shaped responses. Standard library only.
"""

import functools
import zoneinfo
from datetime import UTC, datetime, timedelta

# ActiveSupport::TimeZone::MAPPING, verbatim and in its order, from Rails 7.0.8.1
# (activesupport-7.0.8.1/lib/active_support/values/time_zone.rb). Keys are Rails
# names, values are IANA identifiers. Some values are IANA backward-compatible
# links ("Europe/Kiev", "Asia/Rangoon", "America/Godthab"), as in Rails.
RAILS_TO_IANA: dict[str, str] = {
    "International Date Line West": "Etc/GMT+12",
    "Midway Island": "Pacific/Midway",
    "American Samoa": "Pacific/Pago_Pago",
    "Hawaii": "Pacific/Honolulu",
    "Alaska": "America/Juneau",
    "Pacific Time (US & Canada)": "America/Los_Angeles",
    "Tijuana": "America/Tijuana",
    "Mountain Time (US & Canada)": "America/Denver",
    "Arizona": "America/Phoenix",
    "Chihuahua": "America/Chihuahua",
    "Mazatlan": "America/Mazatlan",
    "Central Time (US & Canada)": "America/Chicago",
    "Saskatchewan": "America/Regina",
    "Guadalajara": "America/Mexico_City",
    "Mexico City": "America/Mexico_City",
    "Monterrey": "America/Monterrey",
    "Central America": "America/Guatemala",
    "Eastern Time (US & Canada)": "America/New_York",
    "Indiana (East)": "America/Indiana/Indianapolis",
    "Bogota": "America/Bogota",
    "Lima": "America/Lima",
    "Quito": "America/Lima",
    "Atlantic Time (Canada)": "America/Halifax",
    "Caracas": "America/Caracas",
    "La Paz": "America/La_Paz",
    "Santiago": "America/Santiago",
    "Newfoundland": "America/St_Johns",
    "Brasilia": "America/Sao_Paulo",
    "Buenos Aires": "America/Argentina/Buenos_Aires",
    "Montevideo": "America/Montevideo",
    "Georgetown": "America/Guyana",
    "Puerto Rico": "America/Puerto_Rico",
    "Greenland": "America/Godthab",
    "Mid-Atlantic": "Atlantic/South_Georgia",
    "Azores": "Atlantic/Azores",
    "Cape Verde Is.": "Atlantic/Cape_Verde",
    "Dublin": "Europe/Dublin",
    "Edinburgh": "Europe/London",
    "Lisbon": "Europe/Lisbon",
    "London": "Europe/London",
    "Casablanca": "Africa/Casablanca",
    "Monrovia": "Africa/Monrovia",
    "UTC": "Etc/UTC",
    "Belgrade": "Europe/Belgrade",
    "Bratislava": "Europe/Bratislava",
    "Budapest": "Europe/Budapest",
    "Ljubljana": "Europe/Ljubljana",
    "Prague": "Europe/Prague",
    "Sarajevo": "Europe/Sarajevo",
    "Skopje": "Europe/Skopje",
    "Warsaw": "Europe/Warsaw",
    "Zagreb": "Europe/Zagreb",
    "Brussels": "Europe/Brussels",
    "Copenhagen": "Europe/Copenhagen",
    "Madrid": "Europe/Madrid",
    "Paris": "Europe/Paris",
    "Amsterdam": "Europe/Amsterdam",
    "Berlin": "Europe/Berlin",
    "Bern": "Europe/Zurich",
    "Zurich": "Europe/Zurich",
    "Rome": "Europe/Rome",
    "Stockholm": "Europe/Stockholm",
    "Vienna": "Europe/Vienna",
    "West Central Africa": "Africa/Algiers",
    "Bucharest": "Europe/Bucharest",
    "Cairo": "Africa/Cairo",
    "Helsinki": "Europe/Helsinki",
    "Kyiv": "Europe/Kiev",
    "Riga": "Europe/Riga",
    "Sofia": "Europe/Sofia",
    "Tallinn": "Europe/Tallinn",
    "Vilnius": "Europe/Vilnius",
    "Athens": "Europe/Athens",
    "Istanbul": "Europe/Istanbul",
    "Minsk": "Europe/Minsk",
    "Jerusalem": "Asia/Jerusalem",
    "Harare": "Africa/Harare",
    "Pretoria": "Africa/Johannesburg",
    "Kaliningrad": "Europe/Kaliningrad",
    "Moscow": "Europe/Moscow",
    "St. Petersburg": "Europe/Moscow",
    "Volgograd": "Europe/Volgograd",
    "Samara": "Europe/Samara",
    "Kuwait": "Asia/Kuwait",
    "Riyadh": "Asia/Riyadh",
    "Nairobi": "Africa/Nairobi",
    "Baghdad": "Asia/Baghdad",
    "Tehran": "Asia/Tehran",
    "Abu Dhabi": "Asia/Muscat",
    "Muscat": "Asia/Muscat",
    "Baku": "Asia/Baku",
    "Tbilisi": "Asia/Tbilisi",
    "Yerevan": "Asia/Yerevan",
    "Kabul": "Asia/Kabul",
    "Ekaterinburg": "Asia/Yekaterinburg",
    "Islamabad": "Asia/Karachi",
    "Karachi": "Asia/Karachi",
    "Tashkent": "Asia/Tashkent",
    "Chennai": "Asia/Kolkata",
    "Kolkata": "Asia/Kolkata",
    "Mumbai": "Asia/Kolkata",
    "New Delhi": "Asia/Kolkata",
    "Kathmandu": "Asia/Kathmandu",
    "Astana": "Asia/Dhaka",
    "Dhaka": "Asia/Dhaka",
    "Sri Jayawardenepura": "Asia/Colombo",
    "Almaty": "Asia/Almaty",
    "Novosibirsk": "Asia/Novosibirsk",
    "Rangoon": "Asia/Rangoon",
    "Bangkok": "Asia/Bangkok",
    "Hanoi": "Asia/Bangkok",
    "Jakarta": "Asia/Jakarta",
    "Krasnoyarsk": "Asia/Krasnoyarsk",
    "Beijing": "Asia/Shanghai",
    "Chongqing": "Asia/Chongqing",
    "Hong Kong": "Asia/Hong_Kong",
    "Urumqi": "Asia/Urumqi",
    "Kuala Lumpur": "Asia/Kuala_Lumpur",
    "Singapore": "Asia/Singapore",
    "Taipei": "Asia/Taipei",
    "Perth": "Australia/Perth",
    "Irkutsk": "Asia/Irkutsk",
    "Ulaanbaatar": "Asia/Ulaanbaatar",
    "Seoul": "Asia/Seoul",
    "Osaka": "Asia/Tokyo",
    "Sapporo": "Asia/Tokyo",
    "Tokyo": "Asia/Tokyo",
    "Yakutsk": "Asia/Yakutsk",
    "Darwin": "Australia/Darwin",
    "Adelaide": "Australia/Adelaide",
    "Canberra": "Australia/Melbourne",
    "Melbourne": "Australia/Melbourne",
    "Sydney": "Australia/Sydney",
    "Brisbane": "Australia/Brisbane",
    "Hobart": "Australia/Hobart",
    "Vladivostok": "Asia/Vladivostok",
    "Guam": "Pacific/Guam",
    "Port Moresby": "Pacific/Port_Moresby",
    "Magadan": "Asia/Magadan",
    "Srednekolymsk": "Asia/Srednekolymsk",
    "Solomon Is.": "Pacific/Guadalcanal",
    "New Caledonia": "Pacific/Noumea",
    "Fiji": "Pacific/Fiji",
    "Kamchatka": "Asia/Kamchatka",
    "Marshall Is.": "Pacific/Majuro",
    "Auckland": "Pacific/Auckland",
    "Wellington": "Pacific/Auckland",
    "Nuku'alofa": "Pacific/Tongatapu",
    "Tokelau Is.": "Pacific/Fakaofo",
    "Chatham Is.": "Pacific/Chatham",
    "Samoa": "Pacific/Apia",
}

# Rails names are matched case-insensitively.
_RAILS_BY_FOLDED_NAME: dict[str, str] = {
    name.casefold(): iana for name, iana in RAILS_TO_IANA.items()
}

# First Rails name (in MAPPING order) for each IANA identifier.
_IANA_TO_RAILS: dict[str, str] = {iana: name for name, iana in reversed(RAILS_TO_IANA.items())}


@functools.cache
def _available_time_zones() -> frozenset[str]:
    """The IANA identifiers this machine's time zone data knows, computed once.

    "localtime" is left out: on Debian it is a link to the host's /etc/localtime,
    not an IANA zone, and would make a stored zone depend on the server.
    """
    return frozenset(zoneinfo.available_timezones()) - {"localtime"}


def resolve_time_zone(name: str) -> str | None:
    """Return the IANA identifier for a Rails name or an IANA identifier.

    Rails names match case-insensitively; IANA identifiers must match exactly
    and be known to ``zoneinfo.available_timezones()``. A Rails name wins over
    an IANA identifier of the same spelling ("UTC" gives "Etc/UTC"), as in
    Rails. Returns None for anything else and never raises: the identifier is
    looked up in a set, never handed to ``zoneinfo.ZoneInfo``, which raises
    odd errors for empty, path-like or NUL-containing strings.
    """
    if not isinstance(name, str):
        return None
    iana = _RAILS_BY_FOLDED_NAME.get(name.casefold())
    if iana is not None:
        return iana
    if name in _available_time_zones():
        return name
    return None


def rails_name(iana: str) -> str | None:
    """Return the first Rails name (in MAPPING order) for an IANA identifier.

    Returns None when no Rails name maps to it (or for a non-string). The match
    is exact: a link such as "Europe/Kyiv" does not find "Kyiv", which Rails
    maps to "Europe/Kiev".
    """
    if not isinstance(iana, str):
        return None
    return _IANA_TO_RAILS.get(iana)


def _standard_offset(iana: str, year: int) -> timedelta:
    """The zone's standard UTC offset in ``year``: the lesser of January's and July's.

    Zones unknown to this machine's time zone data sort last.
    """
    if iana not in _available_time_zones():
        return timedelta(days=1)
    zone = zoneinfo.ZoneInfo(iana)
    offsets = [
        datetime(year, month, 1, tzinfo=UTC).astimezone(zone).utcoffset() or timedelta(0)
        for month in (1, 7)
    ]
    return min(offsets)


def _time_zone_choices() -> list[tuple[str, str]]:
    year = datetime.now(UTC).year
    return sorted(
        RAILS_TO_IANA.items(),
        key=lambda item: (_standard_offset(item[1], year), item[0]),
    )


# (IANA identifier, Rails name) for every Rails zone, for a picker: sorted by the
# zone's standard UTC offset, then by name. An IANA identifier that several
# Rails names share ("Asia/Kolkata") appears once for each of them.
TIME_ZONE_CHOICES: list[tuple[str, str]] = [(iana, name) for name, iana in _time_zone_choices()]
