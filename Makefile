# The two commands that matter: `make up` (the whole stack, locally) and `make test`.
SHELL := /bin/bash
export UV_PYTHON_DOWNLOADS := never
UV ?= uv
STACK := deploy/local/stack.sh
PYTEST := $(UV) run --frozen pytest

.PHONY: help install up down status lint format test test-ahead unit integration e2e contract bench chaos asyncapi replay-dlq token kafka-console kafka-topics deploy-check

help:
	@echo "make up | down | status | test | test-ahead | lint | unit | integration | e2e | contract | bench | chaos | asyncapi | replay-dlq CONSUMER=name | token ROLE=.. REGION=.. | kafka-console TOPIC=.. | kafka-topics | deploy-check"

# Spectral (OpenAPI lint, tests/unit/shared/test_spectral.py) from the npm registry, as pinned in
# tools/spectral/package-lock.json; again only when the lock file changed.
SPECTRAL_DIR := tools/spectral

install:
	@command -v $(UV) >/dev/null || python3 -m pip install --quiet "uv==0.13.9"
	@$(UV) sync --frozen --quiet
	@test $(SPECTRAL_DIR)/node_modules/.package-lock.json -nt $(SPECTRAL_DIR)/package-lock.json \
	  || npm ci --prefix $(SPECTRAL_DIR) --no-audit --no-fund --ignore-scripts --loglevel=error

up: install
	@$(STACK) up

down:
	@$(STACK) down

status:
	@$(STACK) status

lint: install
	$(UV) run --frozen ruff check .
	$(UV) run --frozen ruff format --check .
	$(UV) run --frozen mypy shared/src services/registry/src services/submissions/src services/awards/src services/notifications/src

format: install
	$(UV) run --frozen ruff format .
	$(UV) run --frozen ruff check --fix .

# Lint, then every test against the real stack; stops what it started.
test: lint
	@deploy/local/with-stack.sh $(PYTEST) -q -p no:cacheprovider tests

# The manifests against a real kube-apiserver (built once from the Go module proxy, cached under
# .local/deploy-check; the first run takes a while): server-side dry runs of every overlay and
# platform example with the vendored CRDs, helm template of the Temporal values, hadolint.
# Its static part (kustomize render, strict schemas, Kafka ACLs against the code) is in `make test`
# (tests/unit/test_deploy_manifests.py, tests/unit/deploy/).
deploy-check: install
	@tools/deploy-check/deploy-check.sh

# Every test with the clock moved ahead (AHEAD, default three years) by libfaketime: no test
# may depend on the day it runs. The test processes and PostgreSQL move; Kafka and Temporal's
# dev server keep the real clock. A running local stack is stopped first (it runs on the real
# clock), and the shifted one is stopped afterwards.
AHEAD ?= +1096d
test-ahead: install
	@$(STACK) down
	@STACK_FAKETIME=$(AHEAD) deploy/local/with-stack.sh $(UV) run --frozen python -m tests.support.clock_ahead $(AHEAD) \
	  pytest -q -p no:cacheprovider tests

unit: install
	$(PYTEST) -q tests/unit

integration: install
	@deploy/local/with-stack.sh $(PYTEST) -q tests/integration

e2e: install
	@deploy/local/with-stack.sh $(PYTEST) -q tests/e2e

# schemathesis against every service's /openapi.json (also part of `make test`).
contract: install
	@deploy/local/with-stack.sh $(PYTEST) -q tests/contract

# Every benchmark, or some: make bench BENCH="awards_round statistics_month".
bench: install
	@deploy/local/with-stack.sh $(UV) run --frozen python -m benchmarks $(BENCH)

# Faults on a production-shaped stack of its own (three brokers, two replicas of every role,
# Temporal's server on PostgreSQL): 10,000 reports while brokers, replicas, PostgreSQL and
# Temporal go down and come back, then the counts (docs/chaos.md). Not with `make up` running.
chaos: install
	@deploy/local/chaos/run.sh

asyncapi: install
	$(UV) run --frozen python -m shared.events.asyncapi docs/asyncapi.yaml

replay-dlq: install
	@test -n "$(CONSUMER)" || (echo "usage: make replay-dlq CONSUMER=notifications" && exit 2)
	@eval "$$($(STACK) env)"; $(UV) run --frozen ecom-dlq replay --bootstrap-servers "$$STACK_KAFKA_BOOTSTRAP_SERVERS" --consumer $(CONSUMER)

token: install
	@$(UV) run --frozen ecom-token mint --private-key .local/keys/jwt-private.pem --sub $${SUB:-dev} --role $${ROLE:-province_admin} --region $${REGION:-520000}

# Kafka's own console consumer and topic tool on the local stack (jars from Maven Central).
KAFKA_TOOL = eval "$$($(STACK) env)"; $(STACK) kafka-tool

kafka-console:
	@test -n "$(TOPIC)" || (echo "usage: make kafka-console TOPIC=registry.enterprise [ARGS='--max-messages 5']" && exit 2)
	@$(KAFKA_TOOL) org.apache.kafka.tools.consumer.ConsoleConsumer \
	  --bootstrap-server "$$STACK_KAFKA_BOOTSTRAP_SERVERS" --topic "$(TOPIC)" --from-beginning \
	  --property print.key=true --property print.headers=true $(ARGS)

kafka-topics:
	@$(KAFKA_TOOL) org.apache.kafka.tools.TopicCommand \
	  --bootstrap-server "$$STACK_KAFKA_BOOTSTRAP_SERVERS" $${ARGS:---list}
