"""Reading a Blender scene (``bpy``): which objects form a character, its skeleton, drivers,
calibration, the look-at target and ``mf:`` markers, and ``detect`` → ``RigMap``."""
