"""Channels: each sends one delivery and reports the receiver's answer (``Outcome``). None
ever reports success without the receiver saying so."""
