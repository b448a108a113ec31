"""The one masking rule (record reads and audit reads), without I/O."""

from __future__ import annotations

import pytest

from shared.masking import mask_address, mask_contact, mask_fields, mask_personal


@pytest.mark.parametrize(
    ("value", "masked"),
    [
        ("13812345678", "138****5678"),  # a mainland mobile
        ("0851-86812345", "085****2345"),  # a landline with its area code
        ("+8613812345678", "+86****5678"),
        ("12345678", "123****5678"),
        ("1234567", "****"),  # too short to keep both ends
        ("boss@example.cn", "b***@example.cn"),
        ("zhang.san@example.com", "z***@example.com"),
        ("https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=secret", "***"),
        ("https://hooks.example.cn/x?to=a@b.cn", "***"),  # a URL, even with an @ in it
    ],
)
def test_a_contact_keeps_only_what_tells_it_apart(value: str, masked: str) -> None:
    assert mask_contact(value) == masked


def test_masking_a_masked_contact_changes_nothing() -> None:
    for value in ("13812345678", "boss@example.cn"):
        assert mask_contact(mask_contact(value)) == mask_contact(value)


def test_a_channel_address_is_a_contact_except_the_inbox() -> None:
    assert mask_address("email", "zhang@shop.cn") == "z***@shop.cn"
    assert mask_address("sms", "13812345678") == "138****5678"
    assert mask_address("webhook", "https://x/y") == "***"
    assert mask_address("dingtalk", "https://oapi.dingtalk.com/robot/send?access_token=t") == "***"
    assert mask_address("inbox", "520100/city_bureau") == "520100/city_bureau"


def test_a_records_contact_fields_are_masked_and_nothing_else() -> None:
    record = {"name": "黔货电商", "contact_phone": "13812345678", "contact_email": None}
    assert mask_fields(record, ("contact_phone", "contact_email")) == {
        "name": "黔货电商",
        "contact_phone": "138****5678",
        "contact_email": None,
    }
    assert mask_fields({"name": "x"}, ("contact_phone",)) == {"name": "x"}
    assert mask_fields(None, ("contact_phone",)) is None


def test_an_audit_value_is_masked_however_deep_its_contacts_sit() -> None:
    after = {
        "contact_phone": "13912345678",
        "contact_email": "zhang.san@example.com",
        "name": "13912345678",  # not a contact field: a name is shown as recorded
        "objection": {"objector_contact": "13700001111", "objector_name": "李四"},
        "recipients": [{"channel": "sms", "address": "13600002222"}],
        "count": 3,
    }
    assert mask_personal(after) == {
        "contact_phone": "139****5678",
        "contact_email": "z***@example.com",
        "name": "13912345678",
        "objection": {"objector_contact": "137****1111", "objector_name": "李四"},
        "recipients": [{"channel": "sms", "address": "136****2222"}],
        "count": 3,
    }
    assert mask_personal(None) is None
    assert mask_personal({"contact_phone": None}) == {"contact_phone": None}
