"""The notifications consumer: its topics and the table of event handlers
(``subscriptions.py``); the use cases themselves are in ``notifications.handlers``."""
