"""``python -m hedgesim.workflows.validation``: the same as ``hedgesim-validate``."""

import sys

from hedgesim.workflows.validation.command import main

sys.exit(main())
