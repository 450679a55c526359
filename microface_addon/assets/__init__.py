"""Assets MicroFace builds itself: the sample head (``sample_head``)."""
