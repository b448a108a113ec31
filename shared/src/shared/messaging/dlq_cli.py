"""``ecom-dlq replay``: re-feed a consumer's dead letters to their original topics."""

from __future__ import annotations

import argparse
import os
from pathlib import Path

from shared.messaging.consumer import dead_letter_topic
from shared.messaging.dlq import run
from shared.messaging.kafka import KafkaSecurity


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="ecom-dlq", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    replay = sub.add_parser("replay", help="re-publish dead letters to their original topics")
    replay.add_argument("--bootstrap-servers", required=True)
    replay.add_argument("--consumer", required=True, help="consumer name, e.g. notifications")
    replay.add_argument("--topic-prefix", default="")
    # On the platform's TLS listener as the dead-letter operator's Kafka user (dlq-replay):
    # --security-protocol SASL_SSL --sasl-username dlq-replay --ssl-cafile ca.crt, the password
    # in KAFKA_SASL_PASSWORD (never on the command line).
    replay.add_argument(
        "--security-protocol",
        default="PLAINTEXT",
        choices=["PLAINTEXT", "SSL", "SASL_PLAINTEXT", "SASL_SSL"],
    )
    replay.add_argument(
        "--sasl-mechanism", default="SCRAM-SHA-512", choices=["SCRAM-SHA-512", "SCRAM-SHA-256"]
    )
    replay.add_argument("--sasl-username")
    replay.add_argument("--ssl-cafile", type=Path)
    args = parser.parse_args(argv)
    security = KafkaSecurity(
        protocol=args.security_protocol,
        sasl_mechanism=args.sasl_mechanism,
        username=args.sasl_username,
        password=os.environ.get("KAFKA_SASL_PASSWORD"),
        ca_file=args.ssl_cafile,
    )
    topic = dead_letter_topic(args.topic_prefix, args.consumer)
    count = run(
        args.bootstrap_servers,
        topic,
        group_id=f"{args.topic_prefix}{args.consumer}-dlq-replay",
        security=security,
    )
    print(f"replayed {count} dead letters from {topic}")


if __name__ == "__main__":
    main()
