"""Problems of the conventions every API shares: auth, input, Idempotency-Key, ETags."""

from __future__ import annotations

from shared.http.problem_types import CATALOGUE

add = CATALOGUE.add

RETRY = "Retry the same request (same Idempotency-Key) after Retry-After."
FIX = "Correct the request as `errors` or `detail` says; do not retry unchanged."
REREAD = "Re-read the resource, then decide whether the change still applies."

BAD_REQUEST = add("bad_request", 400, "请求有误", "Bad request",
    meaning="The request cannot be read (e.g. a NUL character in the path).", client_action=FIX)  # fmt: skip
BAD_CURSOR = add("bad_cursor", 400, "分页游标无效", "Bad cursor",
    meaning="The `cursor` is not one this API issued.",
    client_action="Start the list again without `cursor`, or pass `next_cursor` as given.")  # fmt: skip
REPEATED_QUERY_PARAMETER = add("repeated_query_parameter", 400, "查询参数重复",
    "Repeated query parameter",
    meaning="A query parameter that takes one value was sent more than once (`errors` names "
    "it); none is chosen for the caller.", client_action=FIX)  # fmt: skip
BAD_IDEMPOTENCY_KEY = add("bad_idempotency_key", 400, "Idempotency-Key 无效", "Bad Idempotency-Key",
    meaning="The Idempotency-Key header is empty or too long.", client_action=FIX)  # fmt: skip
UNAUTHORIZED = add("unauthorized", 401, "未认证", "Unauthorized",
    meaning="No bearer token, or one that is invalid or expired.",
    client_action="Obtain a fresh token and retry.")  # fmt: skip
FORBIDDEN = add("forbidden", 403, "无权操作", "Forbidden",
    meaning="The caller's role or region may not do this.",
    client_action="Do not retry; the step belongs to another role or region.")  # fmt: skip
NOT_FOUND = add("not_found", 404, "未找到", "Not found",
    meaning="No such resource, or none the caller may see.",
    client_action="Check the identifier and the caller's region.")  # fmt: skip
METHOD_NOT_ALLOWED = add("method_not_allowed", 405, "不支持该请求方法", "Method not allowed",
    meaning="The path exists but not with this HTTP method.", client_action=FIX)  # fmt: skip
NOT_ACCEPTABLE = add("not_acceptable", 406, "无法提供所要求的格式", "Not acceptable",
    meaning="No representation matches the Accept header.", client_action=FIX)  # fmt: skip
CONFLICT = add("conflict", 409, "与当前状态冲突", "Conflict",
    meaning="The request conflicts with the resource's current state.", client_action=REREAD)  # fmt: skip
REQUEST_IN_PROGRESS = add("request_in_progress", 409, "请求仍在处理", "Request in progress",
    meaning="The first request with this Idempotency-Key is still running.", client_action=RETRY)  # fmt: skip
REQUEST_SUPERSEDED = add("request_superseded", 409, "请求已被重试接管", "Request superseded",
    meaning="This request's Idempotency-Key lease lapsed and a retry took it over; "
    "nothing was applied by this request.",
    client_action="Use the answer of the retry that took over.")  # fmt: skip
PRECONDITION_FAILED = add("precondition_failed", 412, "记录已被修改", "Precondition failed",
    meaning="If-Match names a version that is no longer current (`current_etag` is).",
    client_action=REREAD)  # fmt: skip
CONTENT_TOO_LARGE = add("content_too_large", 413, "请求内容过大", "Content too large",
    meaning="The body is larger than this route accepts.",
    client_action="Send less (split a file, shorten the text).")  # fmt: skip
UNSUPPORTED_MEDIA_TYPE = add("unsupported_media_type", 415, "不支持的内容类型",
    "Unsupported media type", meaning="The Content-Type is not one this route takes.",
    client_action=FIX)  # fmt: skip
VALIDATION_FAILED = add("validation_failed", 422, "输入校验未通过", "Validation failed",
    meaning="Invalid input: `errors` names each field, the rule (`type`) and why.",
    client_action=FIX)  # fmt: skip
IDEMPOTENCY_KEY_REUSED = add("idempotency_key_reused", 422, "Idempotency-Key 已用于其他请求",
    "Idempotency-Key reused", meaning="The key was used before with a different request.",
    client_action="Use a new Idempotency-Key for a new request.")  # fmt: skip
PRECONDITION_REQUIRED = add("precondition_required", 428, "缺少 If-Match", "Precondition required",
    meaning="This change needs If-Match with the ETag of the version read (`current_etag`).",
    client_action="Read the resource and send its ETag as If-Match.")  # fmt: skip
TOO_MANY_REQUESTS = add("too_many_requests", 429, "请求过于频繁", "Too many requests",
    meaning="The caller sent too many requests.", client_action=RETRY)  # fmt: skip
INTERNAL_ERROR = add("internal_error", 500, "内部错误", "Internal error",
    meaning="An unexpected error; it was logged.",
    client_action="Retry later; report it if it persists.")  # fmt: skip
SERVICE_UNAVAILABLE = add("service_unavailable", 503, "服务暂不可用", "Service unavailable",
    meaning="A service this request needs (e.g. Temporal) cannot be reached.",
    client_action=RETRY)  # fmt: skip


# Files: imports, attachments, exports.
FILE_TOO_LARGE = add("file_too_large", 413, "文件过大", "File too large",
    meaning="The file is over the route's size limit.", client_action="Split the file.")  # fmt: skip
MULTIPART_NOT_ACCEPTED = add("multipart_not_accepted", 415, "请直接以请求体发送文件",
    "Send the file as the request body",
    meaning="A multipart form was sent; the route takes the file itself as the body.",
    client_action=FIX)  # fmt: skip
UNSUPPORTED_FILE_TYPE = add("unsupported_file_type", 415, "不支持的文件类型",
    "Unsupported file type", meaning="The file's type is not one the route takes.",
    client_action=FIX)  # fmt: skip
EMPTY_FILE = add("empty_file", 422, "文件为空", "Empty file",
    meaning="The request body is empty.", client_action=FIX)  # fmt: skip
UNREADABLE_FILE = add("unreadable_file", 422, "文件无法读取", "Unreadable file",
    meaning="The file is not a readable CSV or XLSX.", client_action=FIX)  # fmt: skip
CONTENT_NOT_OF_TYPE = add("content_not_of_type", 422, "文件内容与类型不符",
    "Content is not of its type",
    meaning="The file's bytes do not match its declared Content-Type.", client_action=FIX)  # fmt: skip
TOO_MANY_ROWS = add("too_many_rows", 422, "行数超出 XLSX 上限", "Too many rows for XLSX",
    meaning="The export is larger than one XLSX sheet holds.",
    client_action="Narrow the filters or export CSV.")  # fmt: skip
