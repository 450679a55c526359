"""Placeholder for the breath layer (being written; see its issue). Adds nothing yet."""

NAME = "breath"


def apply(ctx) -> None:
    return None
