"""Allow `python -m longwriter_v.cli`."""

import sys

from longwriter_v.cli.main import main

sys.exit(main())
