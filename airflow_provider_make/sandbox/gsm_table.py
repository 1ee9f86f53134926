"""The characters the sandbox's makeSms+ accepts, transcribed from the vendor's document.

The client has its own table (``client/gsm.py``); the sandbox must not share it, or a
wrong table would pass on both sides. This one is the document's 16 x 8 grid, column
by column as printed (``SP`` a space, ``LF``/``CR`` line breaks, ``1)`` the escape code,
which is left out), with the cells its conversion garbled read as spec decision 6 says.
"""

from __future__ import annotations

# The document's columns, top to bottom; "(8" and "Θ)" are two cells run together there.
_COLUMNS = (
    ["@", "£", "$", "¥", "è", "é", "ù", "ì", "ò", "Ç", "LF", "Ø", "ø", "CR", "Å", "å"],
    ["Δ", "_", "Φ", "Γ", "Λ", "Ω", "Π", "Ψ", "Σ", "Θ", "Ξ", "1)", "Æ", "æ", "β", "É"],
    ["SP", "!", '"', "#", "α", "%", "&", "'", "(", ")", "*", "+", ",", "-", ".", "/"],
    ["0", "1", "2", "3", "4", "5", "6", "7", "8", "9", ":", ";", "<", "=", ">", "?"],
    ["i", "A", "B", "C", "D", "E", "F", "G", "H", "I", "J", "K", "L", "M", "N", "O"],
    ["P", "Q", "R", "S", "T", "U", "V", "W", "X", "Y", "Z", "Ä", "Ö", "Ñ", "Ü", "Ş"],
    ["ç", "a", "b", "c", "d", "e", "f", "g", "h", "i", "j", "k", "l", "m", "n", "o"],
    ["p", "q", "r", "s", "t", "u", "v", "w", "x", "y", "z", "ä", "ö", "ñ", "ü", "à"],
)
_NAMES = {"SP": " ", "LF": "\n", "CR": "\r"}
# Spec decision 6: where the document's conversion garbled a cell, (column, row) -> the real one.
_GARBLED = {(2, 4): "¤", (4, 0): "¡", (5, 15): "§", (6, 0): "¿", (1, 14): "ß"}

ALLOWED: frozenset[str] = frozenset(
    _GARBLED.get((column, row), _NAMES.get(cell, cell))
    for column, cells in enumerate(_COLUMNS)
    for row, cell in enumerate(cells)
    if cell != "1)"
)
