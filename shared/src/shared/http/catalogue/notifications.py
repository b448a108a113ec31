"""Problems of the recipients directory and the delivery ledger (notifications)."""

from __future__ import annotations

from shared.http.catalogue.common import FIX, REREAD
from shared.http.problem_types import CATALOGUE

add = CATALOGUE.add

DELIVERY_NOT_FAILED = add("delivery_not_failed", 409, "投递未失败", "Delivery not failed",
    meaning="Only a failed delivery is re-sent.", client_action=REREAD)  # fmt: skip
INVALID_ACKNOWLEDGEMENT_LINK = add("invalid_acknowledgement_link", 401, "确认链接无效",
    "Invalid acknowledgement link",
    meaning="The acknowledgement link is malformed, expired or for another delivery.",
    client_action="Acknowledge in the inbox instead.")  # fmt: skip
BAD_ADDRESS = add("bad_address", 422, "地址无效", "Bad address",
    meaning="The address does not fit the channel (`errors`).", client_action=FIX)  # fmt: skip
RECIPIENT_ALREADY_LISTED = add("recipient_already_listed", 409, "该地址已登记",
    "Already listed", meaning="This office has this address already.",
    client_action=REREAD)  # fmt: skip
