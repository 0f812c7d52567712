"""Entry of the console program in the bundle: ``aiml3d COMMAND ...``."""

import sys

from aiml3d_desktop.cli import main

sys.exit(main())
