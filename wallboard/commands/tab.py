"""`python -m wallboard.commands.tab [options]`: the process `wallboard serve` starts for each
browser tab (what it does: `wallboard.commands.serve_tab`). A module of its own because the
package imports `serve_tab` on the way to `serve`, and Python warns when `-m` runs a module
that is already imported."""

import sys

from wallboard.commands.serve_tab import main

if __name__ == "__main__":
    sys.exit(main())
