"""Pure SLA engine: standard library only, time always passed in."""
