"""``POST /callbacks/finance/payment-results``: finance's signed callback (the REST twin of its
``finance.payment.settled``/``failed``/``reversed`` events). Authenticated by the HMAC signature over the
body, not by a user token; a bad signature is a 401 problem. Idempotent: the ledger records an
attempt's answer (and a receipt for money back) once, and a repeated callback answers
``recorded: false``."""

from __future__ import annotations

from fastapi import APIRouter, Request
from pydantic import ValidationError

from awards.api.deps import Pool, Settings
from awards.api.reward_schemas import PaymentResult, PaymentResultRecorded
from awards.domain.rewards.signatures import SIGNATURE_HEADER, valid
from awards.handlers.rewards.payments import record_payment_result
from shared.http import catalogue
from shared.http.problems import ProblemError
from shared.i18n import t

router = APIRouter(prefix="/callbacks/finance", tags=["rewards"])
FINANCE_SIGNATURE = "financeSignature"
# The body is read as bytes (the signature covers them) and parsed only after the signature
# is checked, so FastAPI cannot see it: the document names it, and the scheme, here.
SECURITY_SCHEMES = {
    FINANCE_SIGNATURE: {
        "type": "apiKey",
        "in": "header",
        "name": SIGNATURE_HEADER,
        "description": "`sha256=<hex HMAC-SHA256 of the raw request body>` with the secret "
        "shared with finance (AWARDS_FINANCE_CALLBACK_SECRET); see docs/rewards.md",
    }
}
MODELS = (PaymentResult,)


@router.post(
    "/payment-results",
    response_model=PaymentResultRecorded,
    responses={
        401: {"description": "missing or bad X-Finance-Signature"},
        404: {"description": "no such award"},
        409: {"description": "an answer that contradicts the ledger (key, attempt, amount)"},
        422: {"description": "not a payment result, or money back over what is owed or paid"},
    },
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {
                "application/json": {"schema": {"$ref": "#/components/schemas/PaymentResult"}}
            },
        },
        "security": [{FINANCE_SIGNATURE: []}],
    },
)
async def payment_result(request: Request, pool: Pool, settings: Settings) -> PaymentResultRecorded:
    body = await request.body()
    secret = settings.finance_callback_secret
    shared_secret = None if secret is None else secret.get_secret_value()
    if not valid(shared_secret, body, request.headers.get(SIGNATURE_HEADER)):
        raise ProblemError(
            catalogue.BAD_SIGNATURE,
            t(
                f"{SIGNATURE_HEADER} 应为 sha256=<以共享密钥对请求体计算的 HMAC-SHA256>",
                f"{SIGNATURE_HEADER} must be sha256=<HMAC-SHA256 of the body, shared secret>",
            ),
        )
    try:
        result = PaymentResult.model_validate_json(body)
    except ValidationError as exc:
        # The Problem schema's field errors: place, message, rule; never the input.
        errors = [
            {
                "field": ".".join(["body", *(str(part) for part in error["loc"])]),
                "message": error["msg"],
                "type": error["type"],
            }
            for error in exc.errors(include_url=False, include_context=False, include_input=False)
        ]
        raise ProblemError(
            catalogue.VALIDATION_FAILED,
            t("不是支付结果", "not a payment result"),
            extra={"errors": errors},
        ) from exc
    recorded = await record_payment_result(
        pool, outcome=result.outcome, award_id=result.award_id,
        idempotency_key=result.idempotency_key, attempt=result.attempt, amount=result.amount,
        reference=result.reference, reason=result.reason, as_sent=result.model_dump(mode="json"),
    )  # fmt: skip
    return PaymentResultRecorded(
        award_id=result.award_id, attempt=result.attempt, recorded=recorded
    )
