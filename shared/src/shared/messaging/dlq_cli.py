"""``ecom-dlq replay``: re-feed a consumer's dead letters to their original topics."""

from __future__ import annotations

import argparse

from shared.messaging.consumer import dead_letter_topic
from shared.messaging.dlq import run


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="ecom-dlq", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    replay = sub.add_parser("replay", help="re-publish dead letters to their original topics")
    replay.add_argument("--bootstrap-servers", required=True)
    replay.add_argument("--consumer", required=True, help="consumer name, e.g. notifications")
    replay.add_argument("--topic-prefix", default="")
    args = parser.parse_args(argv)
    topic = dead_letter_topic(args.topic_prefix, args.consumer)
    count = run(
        args.bootstrap_servers, topic, group_id=f"{args.topic_prefix}{args.consumer}-dlq-replay"
    )
    print(f"replayed {count} dead letters from {topic}")


if __name__ == "__main__":
    main()
