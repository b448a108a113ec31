# syntax=docker/dockerfile:1
# check=skip=InvalidDefaultArgInFrom
#
# The image of one service; which one is the build argument SERVICE (registry, submissions,
# awards or notifications). Build context is the repository root:
#
#   docker build --build-arg SERVICE=awards -t ecommerce-programmes/awards:dev .
#
# One image runs every role of its service; the role is the argument:
#   docker run ecommerce-programmes/awards:dev <role>     (default: api)
#
#   registry       api (HTTP 8001), relay, consumer, importer, migrate
#   submissions    api (HTTP 8002), relay, consumer, worker, migrate
#   awards         api (HTTP 8003), relay, consumer, worker, migrate
#   notifications  api (HTTP 8004), relay, consumer, sender, migrate
#
# Everything is the same for the four except what the `service-<name>` stages below set: the
# module run, the HTTP port and, for submissions, a font.

ARG PYTHON_IMAGE=python:3.11-slim
# No default: a build that does not name the service stops at `FROM service-${SERVICE}`
# (which is why the check InvalidDefaultArgInFrom is skipped above).
ARG SERVICE

# ---------------------------------------------------------------------------
# builder: resolve the locked dependencies into /app/.venv with uv
# ---------------------------------------------------------------------------
FROM ${PYTHON_IMAGE} AS builder

ENV PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_NO_CACHE_DIR=1 \
    UV_COMPILE_BYTECODE=1 \
    UV_LINK_MODE=copy \
    UV_PYTHON_DOWNLOADS=never \
    UV_PYTHON_PREFERENCE=only-system \
    UV_PROJECT_ENVIRONMENT=/app/.venv

RUN pip install "uv==0.13.9"

WORKDIR /src

# Dependencies first, from the workspace manifests only, so that this layer is reused until
# uv.lock or a pyproject.toml changes. Every member's pyproject.toml is needed for uv to see
# the whole workspace; only ${SERVICE} and shared are installed. (SERVICE is declared only
# here, so that the layers above are the same for the four images and built once.)
ARG SERVICE
COPY pyproject.toml uv.lock ./
COPY shared/pyproject.toml shared/pyproject.toml
COPY services/registry/pyproject.toml services/registry/pyproject.toml
COPY services/submissions/pyproject.toml services/submissions/pyproject.toml
COPY services/awards/pyproject.toml services/awards/pyproject.toml
COPY services/notifications/pyproject.toml services/notifications/pyproject.toml
RUN --mount=type=cache,target=/root/.cache/uv \
    uv sync --frozen --no-dev --no-install-workspace --package ${SERVICE}

# Then the workspace sources, installed as regular (non-editable) packages so that the
# runtime image needs the virtual environment only, not /src.
COPY shared/ shared/
COPY services/${SERVICE}/ services/${SERVICE}/
RUN --mount=type=cache,target=/root/.cache/uv \
    uv sync --frozen --no-dev --no-editable --package ${SERVICE}

# ---------------------------------------------------------------------------
# base: what every service's runtime has (a non-root user, the common environment)
# ---------------------------------------------------------------------------
FROM ${PYTHON_IMAGE} AS base

# A fixed numeric UID/GID, so that Kubernetes can verify runAsNonRoot.
RUN groupadd --system --gid 10001 app \
 && useradd --system --uid 10001 --gid 10001 --home-dir /home/app --create-home \
        --shell /usr/sbin/nologin app

ENV PATH=/app/.venv/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    PROGRAMMES_DIR=/app/programmes

WORKDIR /app

# ---------------------------------------------------------------------------
# service-<name>: what differs. The entry point is written out per service: an exec-form
# ENTRYPOINT expands no build argument, and so python itself is PID 1 and receives the
# signals, with no shell in between.
# ---------------------------------------------------------------------------
FROM base AS service-registry
ENV REGISTRY_HTTP_HOST=0.0.0.0 \
    REGISTRY_HTTP_PORT=8001
EXPOSE 8001
ENTRYPOINT ["python", "-m", "registry"]

FROM base AS service-submissions
# A CJK font, so the statistics charts label in Chinese (docs/statistics.md); the small one.
RUN apt-get update \
 && apt-get install -y --no-install-recommends fonts-wqy-microhei \
 && rm -rf /var/lib/apt/lists/*
ENV SUBMISSIONS_HTTP_HOST=0.0.0.0 \
    SUBMISSIONS_HTTP_PORT=8002
EXPOSE 8002
ENTRYPOINT ["python", "-m", "submissions"]

FROM base AS service-awards
ENV AWARDS_HTTP_HOST=0.0.0.0 \
    AWARDS_HTTP_PORT=8003
EXPOSE 8003
ENTRYPOINT ["python", "-m", "awards"]

FROM base AS service-notifications
ENV NOTIFICATIONS_HTTP_HOST=0.0.0.0 \
    NOTIFICATIONS_HTTP_PORT=8004
EXPOSE 8004
ENTRYPOINT ["python", "-m", "notifications"]

# ---------------------------------------------------------------------------
# runtime: the service's stage, its virtual environment and the programme definitions
# ---------------------------------------------------------------------------
# A stage of this file chosen by the build argument, not an image to pin (DL3006 cannot tell).
# hadolint ignore=DL3006
FROM service-${SERVICE} AS runtime
ARG SERVICE

LABEL org.opencontainers.image.title="ecommerce-programmes-${SERVICE}" \
      org.opencontainers.image.description="${SERVICE} service of the provincial e-commerce programmes backend"

# Owned by root and read-only for the service user: the container never modifies its code.
COPY --from=builder /app/.venv /app/.venv
COPY shared/programmes/ /app/programmes/

USER 10001:10001

CMD ["api"]
