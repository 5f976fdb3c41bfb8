"""``python -m territory.service [--host 127.0.0.1] [--port 8000] [--insecure] ...``.

The server refuses a non-loopback ``--host`` without ``TERRITORY_API_KEY`` unless
``--insecure`` is given (:func:`territory.service.config.check_bind`, called by
:func:`territory.service.serve`).
"""

import sys

from territory.service._serve import main

if __name__ == "__main__":
    sys.exit(main())
