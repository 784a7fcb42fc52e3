"""``python -m newtonlogit.cli``: the ``newtonlogit`` command."""

import sys

from .main import main

sys.exit(main())
