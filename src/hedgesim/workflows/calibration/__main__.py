"""``python -m hedgesim.workflows.calibration``: the same as ``hedgesim-calibrate``."""

import sys

from hedgesim.workflows.calibration.command import main

sys.exit(main())
