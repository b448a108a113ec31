"""Unified social credit code (统一社会信用代码, GB 32100-2015): check character and validation."""

from __future__ import annotations

import pytest

from registry.domain.credit_code import (
    CHARSET,
    WEIGHTS,
    InvalidCreditCode,
    check_character,
    is_valid_credit_code,
    normalise_credit_code,
    validate_credit_code,
    validate_credit_code_format,
)
from shared.i18n import t

# Published examples (DOMAIN.md, "Identifiers").
KNOWN_VALID = ["91310110666007217T", "91310115591693856A", "91350200MA2YJ1XR9G"]
KNOWN_INVALID = "91350211M00013FA1N"


def test_charset_has_31_characters_without_i_o_z_s_v() -> None:
    assert len(CHARSET) == 31
    assert len(set(CHARSET)) == 31
    for letter in "IOZSV":
        assert letter not in CHARSET


def test_weights_are_powers_of_three_mod_31() -> None:
    assert WEIGHTS == (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)


@pytest.mark.parametrize("code", KNOWN_VALID)
def test_known_valid_codes(code: str) -> None:
    validate_credit_code(code)
    assert is_valid_credit_code(code)
    assert check_character(code[:17]) == code[17]


def test_known_invalid_code_names_the_expected_check_character() -> None:
    with pytest.raises(InvalidCreditCode) as caught:
        validate_credit_code(KNOWN_INVALID)
    expected = check_character(KNOWN_INVALID[:17])
    assert expected != "N"
    assert caught.value.expected_check == expected
    assert f"'{expected}'" in str(caught.value)
    assert "'N'" in str(caught.value)
    assert not is_valid_credit_code(KNOWN_INVALID)


# Further valid codes computed by hand from the algorithm:
# c = (31 - sum(value x weight) mod 31) mod 31, the 18th character is CHARSET[c].
@pytest.mark.parametrize(
    ("first17", "check"),
    [
        # all zeros: sum 0, c = (31 - 0) mod 31 = 0
        ("00000000000000000", "0"),
        # one '1' in position 1: sum 1, c = 30 -> 'Y'
        ("10000000000000000", "Y"),
        # one '1' in position 2: sum 3, c = 28 -> 'W'
        ("01000000000000000", "W"),
        # 'A' (10) in position 17: sum 280 = 9 x 31 + 1, c = 30 -> 'Y'
        ("0000000000000000A", "Y"),
        # '9' in position 4: sum 243 = 7 x 31 + 26, c = 5 -> '5'
        ("00090000000000000", "5"),
    ],
)
def test_check_character_by_hand(first17: str, check: str) -> None:
    assert check_character(first17) == check
    validate_credit_code(first17 + check)


def test_check_character_for_a_guizhou_style_code() -> None:
    # 91 (工商, 企业) + 520100 (贵阳) + a 9-character organisation code.
    first17 = "91520100MA6DKXY0R"
    check = check_character(first17)
    values = [CHARSET.index(ch) for ch in first17]
    total = sum(v * w for v, w in zip(values, WEIGHTS, strict=True))
    assert CHARSET.index(check) == (31 - total % 31) % 31
    assert is_valid_credit_code(first17 + check)


def test_every_single_character_change_is_detected() -> None:
    code = KNOWN_VALID[2]
    for position in range(17):
        for replacement in CHARSET:
            if replacement == code[position]:
                continue
            altered = code[:position] + replacement + code[position + 1 :]
            assert not is_valid_credit_code(altered), altered


@pytest.mark.parametrize("letter", list("IOZSV"))
def test_every_illegal_letter_is_rejected_with_its_position(letter: str) -> None:
    code = "9131011066600" + letter + "217T"
    with pytest.raises(InvalidCreditCode) as caught:
        validate_credit_code(code)
    assert caught.value.position == 14
    assert f"'{letter}'" in str(caught.value)
    assert "position 14" in str(caught.value)
    assert not is_valid_credit_code(code)


def test_illegal_character_in_check_position() -> None:
    with pytest.raises(InvalidCreditCode) as caught:
        validate_credit_code("91310110666007217I")
    assert caught.value.position == 18


def test_lowercase_is_reported_until_normalised() -> None:
    raw = "91350200ma2yj1xr9g"
    with pytest.raises(InvalidCreditCode) as caught:
        validate_credit_code(raw)
    assert "lowercase" in str(caught.value)
    normalised = normalise_credit_code(raw)
    assert normalised == "91350200MA2YJ1XR9G"
    validate_credit_code(normalised)


def test_normalise_strips_and_converts_full_width() -> None:
    assert normalise_credit_code("  91310110666007217t\n") == "91310110666007217T"
    full_width = "９１３５０２００ＭＡ２ＹＪ１ＸＲ９Ｇ"
    assert normalise_credit_code(full_width) == "91350200MA2YJ1XR9G"
    assert normalise_credit_code("\u300091310115591693856a\u3000") == "91310115591693856A"


@pytest.mark.parametrize(
    ("code", "length"),
    [("", 0), ("9131011066600721", 16), ("91310110666007217", 17), ("91310110666007217TT", 19)],
)
def test_length_errors_name_the_length(code: str, length: int) -> None:
    with pytest.raises(InvalidCreditCode) as caught:
        validate_credit_code(code)
    assert "18 characters" in str(caught.value)
    assert f"got {length}" in str(caught.value)
    assert caught.value.position is None
    assert not is_valid_credit_code(code)


def test_check_character_requires_17_characters() -> None:
    with pytest.raises(InvalidCreditCode, match="17 characters"):
        check_character("9131011066600721")
    with pytest.raises(InvalidCreditCode, match="position 3"):
        check_character("91O10110666007217")


def test_division_code_part_is_not_checked_against_todays_list() -> None:
    # 632100 (海东地区) was retired in 2013 and 000000 is no division at all;
    # GB 32100 keeps the code the authority had when it registered (DOMAIN.md).
    for division in ("632100", "000000"):
        first17 = "91" + division + "MA6DKXY0R"
        assert is_valid_credit_code(first17 + check_character(first17))


def test_invalid_credit_code_is_a_value_error_with_a_reason() -> None:
    error = InvalidCreditCode(t("某个原因", "some reason"))
    assert isinstance(error, ValueError)
    assert error.reason == "some reason"
    assert str(error) == "some reason"
    assert error.text.zh == "某个原因"


def test_a_bad_check_character_is_explained_in_chinese_too() -> None:
    with pytest.raises(InvalidCreditCode) as caught:
        validate_credit_code("91310110666007217A")
    assert caught.value.text.zh == "校验位为“A”，按前17位应为“T”"
    assert "call for 'T'" in caught.value.text.en


# A legacy code (issued before the check character was enforced) may be accepted by an audited
# override; the override waives the check character only, never the code's shape.


@pytest.mark.parametrize(
    "code",
    [
        "ABC",
        "%",
        "",
        "9" * 17,
        "9" * 19,
        "\x01" * 18,
        "91350211M00013FA1%",
        "91350211M0001\x003FA1",
    ],
)
def test_a_legacy_code_still_needs_the_format(code: str) -> None:
    with pytest.raises(InvalidCreditCode):
        validate_credit_code_format(code)


def test_a_legacy_code_may_have_a_wrong_check_character() -> None:
    validate_credit_code_format(KNOWN_INVALID)
    with pytest.raises(InvalidCreditCode):
        validate_credit_code(KNOWN_INVALID)
