"""``python -m stowflow`` runs the ``stowflow`` command."""

import sys

from stowflow.tools.cli import main

sys.exit(main())
