"""The ``sender`` role: drains the delivery ledger through the channels (``loop.py``); built
and run by ``bootstrap.py``."""

from notifications.sender.loop import Sender

__all__ = ["Sender"]
