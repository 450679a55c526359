"""Solver layers: each module reads its preset section and the timeline and adds channels.

Every layer has the same contract (``NAME`` and ``apply(ctx)``, see ``solver/compose.py``); none
reaches into another's internals, and each draws from its own random stream.
"""
