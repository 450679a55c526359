"""Placeholder for the head layer (being written; see its issue). Adds nothing yet."""

NAME = "head"


def apply(ctx) -> None:
    return None
