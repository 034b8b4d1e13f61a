from lmconsole.cli import main
from lmconsole.gc_pause import finish

finish(main(process_ends=True))
