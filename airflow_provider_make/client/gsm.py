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


def forbidden_characters(text: str, *, allow_transliteration: bool = False) -> list[str]:
    """Each character of ``text`` outside the GSM 03.38 basic set, described so that invisible
    ones show too, with its 1-based position in ``text`` as written (``œ`` becomes ``oe``)."""
    found = []
    for position, char in enumerate(text, start=1):
        if set(TRANSLITERATIONS.get(char, char) if allow_transliteration else char) <= GSM_BASIC_CHARSET:
            continue
        name = f"U+{ord(char):04X}"
        if char.isprintable() and not char.isspace():
            name = f"{char!r} ({name})"
        if char in GSM_EXTENSION_CHARSET:
            name += ", from the GSM extension table"
        found.append(f"{name} at position {position}")
    return found


def transliterate(text: str) -> str:
    """Replace the characters of :data:`TRANSLITERATIONS`; leave everything else alone."""
    return "".join(TRANSLITERATIONS.get(char, char) for char in text)
