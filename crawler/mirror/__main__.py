"""``python -m crawler.mirror`` = ``warta mirror``."""

import sys

from . import main

sys.exit(main())
