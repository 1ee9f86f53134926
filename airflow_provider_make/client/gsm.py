"""The GSM 03.38 basic alphabet that makeSms+ accepts, and the checks against it.

The vendor document's table is this set garbled by its conversion to text (spec decision
6): ``α`` is ``¤``, the first letter column's ``i`` is ``¡``, ``Ş`` is ``§``, the ``ç`` before
``a`` is ``¿``, ``β`` is ``ß``; ``1)`` marks the escape to the extension table, not allowed.
"""

from __future__ import annotations

#: The 127 printable characters of the GSM 03.38 basic set (the escape code is left out).
GSM_BASIC_CHARSET: frozenset[str] = frozenset(
    "@£$¥èéùìòÇ\nØø\rÅå"
    "Δ_ΦΓΛΩΠΨΣΘΞÆæßÉ"
    " !\"#¤%&'()*+,-./"
    "0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§"
    "¿abcdefghijklmnopqrstuvwxyzäöñüà"
)

#: The extension table, reached through the escape code.
GSM_EXTENSION_CHARSET: frozenset[str] = frozenset("€[]{}^~\\|\f")

#: What ``transliterate=True`` turns French text into. Only characters a person types
#: routinely are mapped; anything else is still refused, never dropped.
TRANSLITERATIONS: dict[str, str] = {
    **dict(zip("âáãêëîïíôóõûúÿÀÂÁÈÊËÎÏÔÛÙŸ", "aaaeeiiiooouuyAAAEEEIIOUUY", strict=True)),
    "ç": "Ç",  # GSM has only the capital; handsets show it as ç
    "œ": "oe",
    "Œ": "OE",
    **dict.fromkeys("’‘", "'"),
    **dict.fromkeys("“”«»", '"'),
    **dict.fromkeys("–—", "-"),
    "…": "...",
    **dict.fromkeys("\u00a0\u202f\t", " "),  # no-break spaces (the narrow one before French ? ! : ;)
}


def refused_characters(text: str, *, allow_transliteration: bool = False) -> list[tuple[int, str]]:
    """Each character of ``text`` outside the GSM 03.38 basic set, with its 1-based position in
    ``text`` as written (``œ`` becomes ``oe``, so positions after it would shift otherwise)."""
    return [
        (position, char)
        for position, char in enumerate(text, start=1)
        if not set(TRANSLITERATIONS.get(char, char) if allow_transliteration else char) <= GSM_BASIC_CHARSET
    ]


def named(char: str) -> str:
    """A character as a message shows it: quoted with its code point, or the code point alone
    for an invisible one."""
    code = f"U+{ord(char):04X}"
    return f"{char!r} ({code})" if char.isprintable() and not char.isspace() else code


def _listed(names: list[str], most: int = 5, separator: str = ", ") -> str:
    return separator.join(names[:most]) + (f" and {len(names) - most} more" if len(names) > most else "")


def remedy(refused: list[str], *, allow_transliteration: bool) -> str:
    """How to get rid of the ``refused`` characters (issue 15 point 6): ``transliterate=True`` only
    for those it replaces; the others are to be removed or replaced by the user."""
    distinct = list(dict.fromkeys(refused))
    replaced = [char for char in distinct if not allow_transliteration and char in TRANSLITERATIONS]
    extension = [char for char in distinct if char in GSM_EXTENSION_CHARSET]
    other = [char for char in distinct if char not in replaced and char not in extension]
    advice = [
        (replaced, "transliterate=True replaces {} with GSM look-alikes"),
        (
            extension,
            "{}: only in the GSM extension table, not in the basic set makeSms+ takes; "
            "remove or replace them",
        ),
        (other, "{}: not in the GSM alphabet; remove or replace them"),
    ]
    return "; ".join(text.format(_listed([named(char) for char in chars])) for chars, text in advice if chars)


def why_refused(text: str, *, allow_transliteration: bool) -> str:
    """Each character of ``text`` makeSms+ refuses, where it is, and what to do; "" when none is."""
    refused = refused_characters(text, allow_transliteration=allow_transliteration)
    if not refused:
        return ""
    extension = ", from the GSM extension table"
    where = [
        f"{named(char)}{extension if char in GSM_EXTENSION_CHARSET else ''} at position {position}"
        for position, char in refused
    ]
    advice = remedy([char for _, char in refused], allow_transliteration=allow_transliteration)
    return (
        f"{len(refused)} character(s) outside the GSM 03.38 basic alphabet that makeSms+ accepts: "
        f"{_listed(where, 10, '; ')} ({advice})"
    )


def transliterate(text: str) -> str:
    """Replace the characters of :data:`TRANSLITERATIONS`; leave everything else alone."""
    return "".join(TRANSLITERATIONS.get(char, char) for char in text)
