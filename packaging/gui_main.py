"""Entry of the windowed program in the bundle: ``aiml3d-desktop [FILE...] [--self-test]``."""

import sys

from aiml3d_desktop.gui.app import main

sys.exit(main())
