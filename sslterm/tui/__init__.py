"""The Textual front end. Only this package (and the CLI that launches it) imports textual."""

import os

# Textual redraws at most MAX_FPS times a second (default 60): a change waits up to a
# frame, 16.7 ms, before it is painted, a third of a page-down's latency here. At 120
# the wait halves; nothing is redrawn while nothing changes, so idle costs the same.
# Set before textual is first imported, which reads it once; TEXTUAL_FPS still wins.
os.environ.setdefault("TEXTUAL_FPS", "120")
