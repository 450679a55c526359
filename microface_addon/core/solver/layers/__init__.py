"""Solver layers: one module per behaviour — breath, cascade (expressions), micro_events, gaze,
head, blink.

Every layer has the same contract (``NAME``, ``LABEL``, ``WRITES``, ``apply(ctx)`` and optionally
``check(section)``; see ``solver/registry.py``): it reads its preset section and the timeline, may
read what earlier layers wrote, and adds only the channels it declares.  None reaches into
another's internals (shared pieces live in ``primitives/`` or ``core``), none imports
``core/preset``, and each draws from its own random stream.
"""
