import sys

from aiml3d_desktop.cli import main

sys.exit(main())
