"""The GSM 03.38 basic alphabet (client/gsm.py): what is refused, and the remedy offered for it.

``transliterate=True`` is offered only for characters it replaces with GSM ones; the
extension table's characters and the others are to be removed or replaced.
"""

from __future__ import annotations

import pytest

from airflow_provider_make.client import gsm


def test_every_transliteration_gives_basic_gsm_characters() -> None:
    """The promise behind offering transliterate=True: what it writes is always accepted."""
    for char, replacement in gsm.TRANSLITERATIONS.items():
        assert set(replacement) <= gsm.GSM_BASIC_CHARSET, char
        assert char not in gsm.GSM_BASIC_CHARSET, char


def test_refused_characters_keep_their_position_in_the_text_as_written() -> None:
    assert gsm.refused_characters("œuf {€}", allow_transliteration=True) == [(5, "{"), (6, "€"), (7, "}")]
    assert gsm.refused_characters("œuf", allow_transliteration=False) == [(1, "œ")]


@pytest.mark.parametrize(
    ("refused", "allow", "expected"),
    [
        (
            ["ê", "’", "ê"],
            False,
            "transliterate=True replaces 'ê' (U+00EA), '’' (U+2019) with GSM look-alikes",
        ),
        (
            ["{", "}"],
            False,
            "'{' (U+007B), '}' (U+007D): only in the GSM extension table, not in the basic set "
            "makeSms+ takes; remove or replace them",
        ),
        (["\U0001f600"], True, "'\U0001f600' (U+1F600): not in the GSM alphabet; remove or replace them"),
        (["\u200b"], False, "U+200B: not in the GSM alphabet; remove or replace them"),
    ],
)
def test_the_remedy_fits_the_characters_refused(refused: list[str], allow: bool, expected: str) -> None:
    assert gsm.remedy(refused, allow_transliteration=allow) == expected


def test_transliterate_is_offered_only_when_it_is_off() -> None:
    advice = gsm.remedy(["ê", "€"], allow_transliteration=False)
    assert advice.startswith("transliterate=True replaces 'ê' (U+00EA)") and "'€' (U+20AC): only in" in advice
    assert "transliterate" not in gsm.remedy(["€"], allow_transliteration=True)
