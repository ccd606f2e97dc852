"""pytest glue: adapts the library layer to pytest (options, markers, fixtures, state, xdist).

Nothing in here is public API; the plugin module wires these to pytest's hooks.
"""
