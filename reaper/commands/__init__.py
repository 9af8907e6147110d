"""One module per command-line verb: once, run, report, check, reinstate, audit, demo.

Each takes the loaded settings (``demo`` makes its own) and returns the exit code; the codes
are shared here so every verb means the same by them.
"""

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_CONFIG = 2
EXIT_SKIPPED = 3  # another reaper holds the state store's lock: nothing was done
