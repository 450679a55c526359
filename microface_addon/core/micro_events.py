"""Placeholder for the micro_events layer (being written; see its issue). Adds nothing yet."""

NAME = "micro_events"


def apply(ctx) -> None:
    return None
