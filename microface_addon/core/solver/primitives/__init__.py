"""Signal building blocks shared by the solver layers (arrays in, arrays out, no state)."""
