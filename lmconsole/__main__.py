import sys

from lmconsole.cli import main

sys.exit(main(process_ends=True))
