"""Measuring curves against published physiology.

- ``stats``    — detectors and statistics over curves (blinks, saccades, breath cycles, spectra).
- ``validate`` — ``validate`` command's core: solve a preset, measure it, judge it against bands
  (``validate_settings``, ``STATISTICS``, ``reference_main_sequence``).
"""
