"""``python -m territory.service [--host 127.0.0.1] [--port 8000]``."""

import sys

from territory.service._serve import main

if __name__ == "__main__":
    sys.exit(main())
