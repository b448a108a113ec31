"""Unified social credit code (统一社会信用代码), GB 32100-2015.

Eighteen characters from a 31-character set (digits and capitals without I, O, Z, S, V),
valued 0-30: registering authority (1), organisation type (1), the registering authority's
division code (6), organisation code (9), check character (1). The check character c is
``(31 - sum(value_i * weight_i) mod 31) mod 31`` with weights ``3**i mod 31`` for i = 0..16.

The division code part is deliberately *not* checked against today's GB/T 2260 list: a code
keeps the division its authority had when it was issued, which may since have been retired
(e.g. 632100 海东地区 before 2013). See DOMAIN.md, "Identifiers".
"""

from __future__ import annotations

import unicodedata

from shared.i18n import Text, t

CHARSET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
CODE_LENGTH = 18
WEIGHTS: tuple[int, ...] = tuple(pow(3, i, 31) for i in range(CODE_LENGTH - 1))

_VALUES = {character: value for value, character in enumerate(CHARSET)}
_ALLOWED = "0-9 and A-Z without I, O, Z, S, V"


class InvalidCreditCode(ValueError):
    """A code that is not a well-formed GB 32100-2015 code; ``reason`` says why.

    ``position`` is the 1-based position of the offending character, when there is one;
    ``expected_check`` is the check character the first 17 characters call for, when only
    the check character is wrong.
    """

    def __init__(
        self, reason: Text, *, position: int | None = None, expected_check: str | None = None
    ) -> None:
        super().__init__(reason.en)
        self.reason = reason.en  # the import report's row errors stay in English
        self.text = reason
        self.position = position
        self.expected_check = expected_check


def normalise_credit_code(raw: str) -> str:
    """Canonical form of a typed or pasted code: full-width to half-width, trimmed, upper case.

    NFKC folds full-width digits and letters (``９１ＭＡ``) and the ideographic space to their
    ASCII forms. Characters inside the code are kept, so a stray one is reported by
    :func:`validate_credit_code` with its position rather than silently dropped.
    """
    return unicodedata.normalize("NFKC", raw).strip().upper()


def _illegal_character(code: str) -> InvalidCreditCode | None:
    for index, character in enumerate(code):
        if character not in _VALUES:
            position = index + 1
            lower = character.islower()
            hint = " (lowercase: normalise the code first)" if lower else ""
            return InvalidCreditCode(
                t(
                    f"第{position}位字符“{character}”不允许；代码仅使用数字0-9和除I、O、Z、S、V"
                    f"以外的大写字母{'（请先转为大写）' if lower else ''}",
                    f"character {character!r} at position {position} is not allowed; "
                    f"the code uses {_ALLOWED}{hint}",
                ),
                position=position,
            )
    return None


def _check_character(first17: str) -> str:
    pairs = zip(first17, WEIGHTS, strict=True)
    total = sum(_VALUES[character] * weight for character, weight in pairs)
    return CHARSET[(31 - total % 31) % 31]


def check_character(first17: str) -> str:
    """The check character (18th) that the first 17 characters call for."""
    if len(first17) != CODE_LENGTH - 1:
        raise InvalidCreditCode(
            t(
                f"校验位须由前17位计算，收到{len(first17)}位",
                f"the check character is computed from 17 characters, got {len(first17)}",
            )
        )
    illegal = _illegal_character(first17)
    if illegal is not None:
        raise illegal
    return _check_character(first17)


def validate_credit_code_format(code: str) -> None:
    """Raise :class:`InvalidCreditCode` unless ``code`` has the shape of a code: 18 characters
    of the set. The check character is not verified: this is all a legacy code issued before
    the check was enforced must still meet (the audited override waives the check only)."""
    if len(code) != CODE_LENGTH:
        raise InvalidCreditCode(
            t(
                f"统一社会信用代码须为18位，收到{len(code)}位",
                f"a credit code must be 18 characters, got {len(code)}",
            )
        )
    illegal = _illegal_character(code)
    if illegal is not None:
        raise illegal


def validate_credit_code(code: str) -> None:
    """Raise :class:`InvalidCreditCode` unless ``code`` is a well-formed canonical code.

    Checks, in order: length (18), the character set (each character and its position),
    the check character (naming the expected one). Pass the code through
    :func:`normalise_credit_code` first; lowercase is reported, not forgiven.
    """
    validate_credit_code_format(code)
    expected = _check_character(code[:-1])
    if code[-1] != expected:
        raise InvalidCreditCode(
            t(
                f"校验位为“{code[-1]}”，按前17位应为“{expected}”",
                f"check character is {code[-1]!r} but the first 17 characters call for "
                f"{expected!r}",
            ),
            position=CODE_LENGTH,
            expected_check=expected,
        )


def is_valid_credit_code(code: str) -> bool:
    """Whether ``code`` (canonical form) passes :func:`validate_credit_code`."""
    try:
        validate_credit_code(code)
    except InvalidCreditCode:
        return False
    return True
