"""Placeholder for the gaze layer (being written; see its issue). Adds nothing yet."""

NAME = "gaze"


def apply(ctx) -> None:
    return None
