import sys

from search.bench.cli import main

sys.exit(main())
