"""Signal building blocks shared by the solver layers (arrays in, arrays out, no state).

- ``activation`` — muscle activation dynamics: asymmetric rise/fall, adaptation, tissue spring,
  delayed lags along cascade edges.
- ``saccades``   — the saccade main sequence (``MainSequence``) and smooth step trajectories.
- ``ramps``      — cosine ramps and gliding step functions.
- ``lazy_scipy`` — the SciPy functions these use, imported on first call, not with the core.
"""
