"""The ``paradup`` command, from the Python package: ``python -m paradup scan data/`` (and the
``paradup`` console script) runs the same command line as the binary, in this process."""

import signal
import sys

from . import _paradup


def main() -> int:
    # As the binary: Ctrl-C ends the process at once, a closed pipe ends the output quietly.
    signal.signal(signal.SIGINT, signal.SIG_DFL)
    code, error = _paradup.command(["paradup", *sys.argv[1:]])
    if error is not None:
        sys.stderr.write(f"paradup: error: {error}\n")
    return code


if __name__ == "__main__":
    sys.exit(main())
