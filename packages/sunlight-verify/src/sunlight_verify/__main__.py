import sys

from sunlight_verify.cli import main

sys.exit(main())
