"""``python -m microface_addon …``: the MicroFace command line (see ``cli/``)."""

import sys

from .cli import main

sys.exit(main())
