"""Checks every argument before any request is built, and puts it in the form the API wants.

A refused argument raises :class:`MakeValidationError` naming the argument and what is
wrong. ``phonenumbers`` is imported on first use, so that importing the operators stays cheap.
"""

from __future__ import annotations

import ast
import contextlib
import itertools
import json
import math
import re
import reprlib
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any, Literal

from airflow_provider_make.client.errors import MakeValidationError
from airflow_provider_make.client.gsm import transliterate, why_refused

if TYPE_CHECKING:
    import phonenumbers

#: makeSms+'s text, in characters. The document gives no limit; the request is a GET, and
#: web servers refuse request lines past 8 KiB (Apache's default 8,190 bytes). A GSM
#: character takes up to 6 bytes once URL-encoded (``é`` is ``%C3%A9``), so 1,000
#: characters (7 concatenated SMS of 153) stay under 6 KB, leaving room for the rest.
MAX_SMS_PLUS_CHARACTERS = 1000
#: Longer than any phone number, id or code a person writes; checked before any parsing.
_MAX_TEXT = 64
#: A rendered list of 100 numbers is a few KB; far more is not a list of ours.
_MAX_RENDERED = 100_000
# What people put between digits, after an optional '+' or '(' (never a leading '-').
_PHONE_CHARS = r"\+?\(?[0-9][0-9 .\-()/]*"
_PHONE_REFUSAL = (
    "{} is not a phone number: use digits, with the country code first "
    "('33612345678', '+33 6 12 34 56 78' or '0033612345678')"
)

_REPR = reprlib.Repr()
_REPR.maxlevel, _REPR.maxstring, _REPR.maxother, _REPR.maxlist = 3, 40, 40, 4


def refusal(argument: str, problem: str) -> MakeValidationError:
    """The error refusing ``argument`` (or a campaign row's column): its message starts with the name."""
    return MakeValidationError(f"{argument}: {problem}", argument=argument)


def shown(value: object) -> str:
    """A value as the message shows it: short, quoted, never multi-line, whatever it is."""
    if isinstance(value, int) and not isinstance(value, bool) and value.bit_length() > 64:
        return f"an integer of about {int(value.bit_length() * 0.30103)} digits"
    try:
        text = _REPR.repr(value)
    except Exception:  # noqa: BLE001 - a hostile __repr__, or an integer too long to print
        return f"a {type(value).__name__}"
    return text if len(text) <= 60 else text[:57] + "..."


def _as_text(argument: str, value: object, what: str, pattern: str = "", rule: str = "") -> str:
    """Stripped text from a str or int; if it does not match ``pattern``, ``rule`` (``{}``: the value)."""
    if isinstance(value, bool) or not isinstance(value, (str, int)):
        raise refusal(argument, f"expected {what} as a string, got {type(value).__name__} {shown(value)}")
    if value.bit_length() > 64 if isinstance(value, int) else len(value) > _MAX_TEXT:
        raise refusal(argument, f"{shown(value)} is far too long for {what}")
    text = str(value).strip()
    if not text:
        raise refusal(argument, f"expected {what}, got an empty value")
    if pattern and not re.fullmatch(pattern, text):
        raise refusal(argument, rule.format(shown(value)))
    return text


def _whole_number(argument: str, value: object, low: int, high: int, unit: str) -> int:
    """An int, or a string of digits (what a rendered template gives), within bounds."""
    if isinstance(value, str) and re.fullmatch(r"\s*[0-9]{1,18}\s*", value):
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int):
        raise refusal(argument, f"expected a whole number of {unit} from {low} to {high}, got {shown(value)}")
    if not low <= value <= high:
        raise refusal(argument, f"must be from {low} to {high} {unit}, got {shown(value)}")
    return value


def credit_amount(value: object, argument: str) -> int | None:
    """A number of credits to compare the account's balance with (whole, 0 or more); None: none."""
    return None if value is None else _whole_number(argument, value, 0, 10**15, "credits")


def positive_seconds(value: object, argument: str) -> float:
    """A duration a task waits (``poll_interval``, ``timeout``): a number of seconds above 0."""
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 < value < math.inf:
        raise refusal(argument, f"must be a positive number of seconds, got {shown(value)}")
    return float(value)


def flag(value: object, argument: str) -> bool:
    if not isinstance(value, bool):
        raise refusal(argument, f"expected True or False, got {shown(value)}")
    return value


def _bounded_list(argument: str, value: object, low: int, high: int, what: str, request: str) -> list[Any]:
    """Up to ``high`` items of a list, any iterable (reading at most ``high + 1``) or rendered text."""
    if isinstance(value, str):
        value = rendered_list(argument, value)
    if isinstance(value, (str, bytes, dict)) or not isinstance(value, Iterable):
        raise refusal(argument, f"expected a list of {what}, got {shown(value)}")
    items = list(itertools.islice(value, high + 1))
    if not low <= len(items) <= high:
        count = f"more than {high}" if len(items) > high else str(len(items))
        raise refusal(argument, f"{request} takes {low} to {high} {what}, got {count}")
    return items


def rendered_list(argument: str, text: str, max_chars: int = _MAX_RENDERED) -> list[Any]:
    """The list a template rendered as text (unless the DAG sets ``render_template_as_native_obj``):
    JSON, or Python's own printing of a list. ``ast.literal_eval`` evaluates nothing."""
    parsed: object = None
    if len(text) <= max_chars and text.lstrip().startswith(("[", "(")):
        for parse in (json.loads, ast.literal_eval):
            with contextlib.suppress(ValueError, SyntaxError, TypeError, MemoryError, RecursionError):
                parsed = parse(text)
                break
    if not isinstance(parsed, (list, tuple)):
        raise refusal(
            argument,
            f"expected a list, got the text {shown(text)}: a template renders text, so either give a "
            "list, render text holding a JSON list, or set render_template_as_native_obj=True on the DAG",
        )
    return list(parsed)


def delay_seconds(value: object, argument: str = "delay_seconds") -> int | None:
    """The ``insec`` delay in seconds, makeCall+'s too (spec decision 3); None: the account's own."""
    return None if value is None else _whole_number(argument, value, 0, 7200, "seconds")


def duration_minutes(value: object, argument: str = "max_duration_minutes") -> int:
    return _whole_number(argument, value, 1, 10, "minutes")


def recording_notice(value: object, argument: str = "recording_notice") -> None:
    """makeCall+'s ``engage=1``: only ``True`` commits the caller to warn both parties."""
    if value is not True:
        raise refusal(
            argument,
            "makeCall+ records the conversation; pass recording_notice=True to commit to telling "
            f"both parties that the call is recorded (got {shown(value)})",
        )


def catalog_code(value: object, argument: str = "catalog_code") -> str:
    rule = "a catalog code is made of digits only, like '123', got {}"
    return _as_text(argument, value, "a catalog code", "[0-9]{1,10}", rule)


def tracking_id(value: object, argument: str = "tracking_id") -> str:
    rule = "a tracking id is 1 to 64 letters and digits, got {}"
    return _as_text(argument, value, "a tracking id", "[A-Za-z0-9]{1,64}", rule)


def sms_text(value: object, argument: str = "message", *, allow_transliteration: bool = False) -> str:
    """makeSms+'s ``msg``, in the GSM 03.38 basic alphabet (spec decision 6); the characters French
    users type that GSM lacks (``ê``, ``’``, ``œ``...) are replaced first on request only."""
    if not isinstance(value, str):
        raise refusal(argument, f"expected the SMS text as a string, got {type(value).__name__}")
    if not value or value.isspace():
        raise refusal(argument, "the SMS text is empty")
    text = transliterate(value) if allow_transliteration and len(value) <= MAX_SMS_PLUS_CHARACTERS else value
    if len(text) > MAX_SMS_PLUS_CHARACTERS:  # transliteration never shortens a text: checked before it
        raise refusal(
            argument,
            f"the SMS text has {len(text)} characters; makeSms+ takes at most {MAX_SMS_PLUS_CHARACTERS} "
            "(the request is a URL, and web servers refuse longer ones)",
        )
    if problem := why_refused(value, allow_transliteration=allow_transliteration):
        raise refusal(argument, problem)
    return text


def _phonenumbers() -> Any:
    import phonenumbers as module  # deferred: ~30 ms and several MB of metadata

    return module


def _clean(argument: str, value: object) -> tuple[str, str]:
    raw = _as_text(argument, value, "a phone number", _PHONE_CHARS, _PHONE_REFUSAL)
    return raw, re.sub(r"[^0-9+]", "", raw)


#: Where the country of a number was read, for the refusals (issue 15 point 6): its leading
#: "+" or "00", the connection's ``default_region``, makeRingun's ``prefix``, or (bare digits)
#: its first digits, read as the country code.
Reading = Literal["+", "00", "default_region", "prefix", "bare"]


def _read_from(reading: Reading, region: str | None, number: phonenumbers.PhoneNumber | None) -> str:
    """Where the country of a refused number was read: never a country the user did not write
    without saying why."""
    pn = _phonenumbers()
    source = None if number is None else number.country_code_source
    if reading in ("+", "00"):
        return f"read from its leading '{reading}'"
    if reading == "prefix":
        return "the country of the prefix argument"
    if source == pn.CountryCodeSource.FROM_NUMBER_WITH_IDD:
        return f"read from its international prefix, dialled from {region}, the connection's default_region"
    if source == pn.CountryCodeSource.FROM_NUMBER_WITHOUT_PLUS_SIGN:
        return f"read from its first digits, the country code of {region} (the connection's default_region)"
    return f"read as a national number of {region}, the connection's default_region"


def _parse(
    argument: str, raw: str, candidate: str, region: str | None, reading: Reading
) -> phonenumbers.PhoneNumber:
    """``candidate`` (the cleaned form) as a number its country's plan accepts; a refusal quotes ``raw``."""
    pn = _phonenumbers()
    # Bare digits have no country code as such: the user wrote none.
    unknown_code = (
        "its first digits are no country code" if reading == "bare" else "its country code is unknown"
    )
    number: phonenumbers.PhoneNumber | None = None
    try:
        number = pn.parse(candidate, region, keep_raw_input=True)
    except pn.NumberParseException as error:
        reason = {
            error.INVALID_COUNTRY_CODE: unknown_code,
            error.TOO_SHORT_AFTER_IDD: "it is too short",
            error.TOO_SHORT_NSN: "it is too short",
            error.TOO_LONG: "it is too long",
        }.get(error.error_type, "it cannot be read as one")
    else:
        if pn.is_valid_number(number):
            return number
        reason = {
            pn.ValidationResult.INVALID_COUNTRY_CODE: unknown_code,
            pn.ValidationResult.TOO_SHORT: "it is too short",
            pn.ValidationResult.TOO_LONG: "it is too long",
            pn.ValidationResult.INVALID_LENGTH: "it has the wrong number of digits",
        }.get(pn.is_possible_number_with_reason(number), "it is not in use in that country's numbering plan")
    if reading == "bare":
        raise refusal(
            argument,
            f"{shown(raw)} is not a valid phone number ({reason}, read country code first): with no '+', "
            "no '00' and no default_region on the connection, its first digits are its country code; "
            "write it with '+' and its country code ('+33 6 12 34 56 78'), or set default_region on the "
            "connection to write national numbers",
        )
    country = "" if number is None else f" for country code +{number.country_code}"
    where = _read_from(reading, region, number)
    raise refusal(argument, f"{shown(raw)} is not a valid phone number{country} ({where}): {reason}")


def _digits(number: phonenumbers.PhoneNumber) -> str:
    return f"{number.country_code}{_phonenumbers().national_significant_number(number)}"


def international_number(value: object, argument: str, default_region: str | None = None) -> str:
    """Digits only, country code first (spec decision 5): ``+33 6 12 34 56 78``, ``0033612345678``
    and ``33612345678`` give ``33612345678``; a national number (``06 12 34 56 78``) needs a region."""
    raw, compact = _clean(argument, value)
    if compact.startswith("+"):
        number = _parse(argument, raw, compact, None, "+")
    elif default_region is not None:
        number = _read_with_region(argument, raw, compact, default_region)
    elif compact.startswith("00"):
        number = _parse(argument, raw, "+" + compact[2:], None, "00")
    elif compact.startswith("0"):
        raise refusal(
            argument,
            f"{shown(raw)} has no country code: write it with one ('+33 6 12 34 56 78') "
            "or set default_region on the connection",
        )
    else:
        # Bare digits are "country code first" (spec decision 5): never alter what was written.
        number = _parse(argument, raw, "+" + compact, None, "bare")
        if _digits(number) != compact:
            raise refusal(
                argument,
                f"{shown(raw)} is not written the way the API wants it (it would become "
                f"{_digits(number)}): write it with '+' and its country code",
            )
    return _digits(number)


def _read_with_region(argument: str, raw: str, compact: str, region: str) -> phonenumbers.PhoneNumber:
    """Digits without '+' read as a national number of ``region`` (with its trunk and international
    prefixes) or as country code first; two valid and different readings are refused."""
    pn = _phonenumbers()
    readings: dict[str, phonenumbers.PhoneNumber] = {}  # by digits: two equal readings are one
    for candidate, hint in ((compact, region), ("+" + compact.removeprefix("00"), None)):
        with contextlib.suppress(pn.NumberParseException):
            number = pn.parse(candidate, hint)
            if pn.is_valid_number(number):
                readings.setdefault(_digits(number), number)
    if len(readings) > 1:
        (national, _), (international, other) = readings.items()
        raise refusal(
            argument,
            f"{shown(raw)} is ambiguous: a {region} number (+{national}) or a +{other.country_code} one "
            f"(+{international}); write it with '+' and its country code",
        )
    if readings:
        return next(iter(readings.values()))
    return _parse(argument, raw, compact, region, "default_region")


def country_prefix(value: object, argument: str = "prefix") -> str:
    """makeRingun's ``prefix``: a country calling code, like ``33``."""
    raw = _as_text(argument, value, "a country calling code")
    digits = raw.removeprefix("+").removeprefix("00")
    pn = _phonenumbers()
    region = pn.region_code_for_country_code(int(digits)) if re.fullmatch("[0-9]{1,3}", digits) else None
    if region in (None, pn.UNKNOWN_REGION, pn.REGION_CODE_FOR_NON_GEO_ENTITY):
        raise refusal(
            argument,
            f"{shown(raw)} is not a country calling code (like '33' for France): makeRingun rings "
            "national numbers of one country, and freephone or satellite codes are no country's",
        )
    return str(int(digits))


def national_number(value: object, argument: str, prefix: str) -> str:
    """A makeRingun number, national (spec decision 4): ``687345678``, ``06 87 34 56 78`` and
    ``+33 6 87 34 56 78`` give ``687345678`` for prefix ``33``; another country code is refused."""
    raw, compact = _clean(argument, value)
    pn = _phonenumbers()
    if compact.startswith(("+", "00")):
        reading: Reading = "+" if compact.startswith("+") else "00"
        number = _parse(argument, raw, "+" + compact.lstrip("+").removeprefix("00"), None, reading)
        if str(number.country_code) != prefix:
            raise refusal(
                argument, f"{shown(raw)} has country code +{number.country_code}, but the prefix is {prefix}"
            )
    else:
        number = _parse(argument, raw, compact, pn.region_code_for_country_code(int(prefix)), "prefix")
    return str(pn.national_significant_number(number))


def ring_plus_pair_list(pairs: object) -> list[Sequence[Any]]:
    """makeRing+'s ``pairs``: 2 to 10 ``(caller, callee)`` pairs, their numbers not checked yet."""
    items = _bounded_list("pairs", pairs, 2, 10, "(caller, callee) pairs", "makeRing+")
    for index, pair in enumerate(items):
        if isinstance(pair, (str, bytes)) or not isinstance(pair, Sequence) or len(pair) != 2:
            raise refusal(f"pairs[{index}]", f"expected a (caller, callee) pair, got {shown(pair)}")
    return items


def ring_plus_pairs(pairs: object, default_region: str | None = None) -> list[tuple[str, str]]:
    result = []
    for index, pair in enumerate(ring_plus_pair_list(pairs)):
        caller = international_number(pair[0], f"pairs[{index}] caller", default_region)
        result.append((caller, international_number(pair[1], f"pairs[{index}] callee", default_region)))
    return result


def ringun_callee_list(callees: object) -> list[Any]:
    """makeRingun's ``callees``: 1 to 100 of them, their numbers not checked yet."""
    return _bounded_list("callees", callees, 1, 100, "callees", "makeRingun")


def ringun_callees(callees: object, prefix: str) -> list[str]:
    result: list[str] = []
    for index, callee in enumerate(ringun_callee_list(callees)):
        number = national_number(callee, f"callees[{index}]", prefix)
        if number in result:
            raise refusal(
                f"callees[{index}]",
                f"{shown(callee)} is already callees[{result.index(number)}]: each callee is rung "
                "and paid for once per entry, so duplicates are refused",
            )
        result.append(number)
    return result
