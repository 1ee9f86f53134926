"""The GSM 03.38 default alphabet that makeSms+ accepts, and the checks against it.

The vendor document's table of allowed characters is the GSM 03.38 basic set with a
few cells garbled by its conversion to text (spec decision 6): ``α`` stands for
``¤``, the ``i`` of the first letter column for ``¡``, ``Ş`` for ``§``, the ``ç``
before ``a`` for ``¿``, and ``β`` for ``ß``. ``1)`` marks the escape code, which
introduces the extension table (``€ [ ] { } ^ ~ \\ |`` and the form feed); the
extension table is not allowed. This module holds the real basic set.
"""

from __future__ import annotations

from dataclasses import dataclass

#: The 127 printable characters of the GSM 03.38 basic set (the escape code is left out).
GSM_BASIC_CHARSET: frozenset[str] = frozenset(
    "@£$¥èéùìòÇ\nØø\rÅå"
    "Δ_ΦΓΛΩΠΨΣΘΞÆæßÉ"
    " !\"#¤%&'()*+,-./"
    "0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§"
    "¿abcdefghijklmnopqrstuvwxyzäöñüà"
)

#: The extension table: reachable on a handset through the escape code, refused here.
GSM_EXTENSION_CHARSET: frozenset[str] = frozenset("€[]{}^~\\|\f")

#: What ``transliterate=True`` turns French text into. Only characters a person types
#: routinely are mapped; anything else is still refused, never dropped.
TRANSLITERATIONS: dict[str, str] = {
    "à": "à",  # already GSM, like è; kept so the table reads as a whole
    "è": "è",
    **dict(zip("âáãêëîïíôóõûúÿ", "aaaeeiiiooouuy", strict=True)),
    **dict(zip("ÀÂÁÈÊËÎÏÔÛÙŸ", "AAAEEEIIOUUY", strict=True)),
    "ç": "Ç",  # GSM has only the capital; handsets show it as ç
    "œ": "oe",
    "Œ": "OE",
    **dict.fromkeys("’‘", "'"),
    **dict.fromkeys("“”«»", '"'),
    **dict.fromkeys("–—", "-"),
    "…": "...",
    "\u00a0": " ",  # no-break space
    "\u202f": " ",  # narrow no-break space, before French ? ! : ;
    "\t": " ",
}


@dataclass(frozen=True)
class ForbiddenCharacter:
    """One character of a message that the GSM 03.38 basic set does not have."""

    position: int  # 1-based, as a person counts
    character: str

    def describe(self) -> str:
        """Say which character it is in a way that shows invisible ones too."""
        name = f"U+{ord(self.character):04X}"
        if self.character.isprintable() and not self.character.isspace():
            name = f"{self.character!r} ({name})"
        if self.character in GSM_EXTENSION_CHARSET:
            name += ", from the GSM extension table"
        return f"{name} at position {self.position}"


def forbidden_characters(text: str, *, allow_transliteration: bool = False) -> list[ForbiddenCharacter]:
    """Every character of ``text`` outside the GSM 03.38 basic set, in order.

    Positions count in ``text`` as the user wrote it, also when transliteration is
    allowed (a transliterated character can be longer: ``œ`` is ``oe``).
    """

    def allowed(char: str) -> bool:
        if char in GSM_BASIC_CHARSET:
            return True
        replacement = TRANSLITERATIONS.get(char) if allow_transliteration else None
        return replacement is not None and all(c in GSM_BASIC_CHARSET for c in replacement)

    return [ForbiddenCharacter(index, char) for index, char in enumerate(text, start=1) if not allowed(char)]


def transliterate(text: str) -> str:
    """Replace the characters of :data:`TRANSLITERATIONS`; leave everything else alone."""
    return "".join(TRANSLITERATIONS.get(char, char) for char in text)
