"""Drain the outbox in this process: the demo seeder and benchmarks use it without Redis."""

from __future__ import annotations

from workers import events


def drain_outbox() -> int:
    """Handle every pending event in batches; returns how many were handled."""
    return events.drain()
