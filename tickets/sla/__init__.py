"""Tickets' SLAs: storing what the engine computes, recomputing after edits, the breach clock
and the backtest."""
