"""The report engine: the run model (pure, mergeable), gates, renderers and ``combine``.

Library layer: no pytest import. ``model`` holds the data and its merge; ``render`` the term,
JSON, Markdown and HTML renderers; ``gates`` the CI gates; ``combine`` the command that merges
JSON reports from CI shards.
"""
