"""What policy and schedule edits announce. Tickets listen (their app connects the receivers),
so policies never call into tickets: the layers go one way."""

from django.dispatch import Signal

# Sent inside the edit's transaction with `revision_id`: the policy list frozen at the edit.
policies_revised = Signal()

# Sent inside the edit's transaction with `now`: a schedule's hours or holidays changed.
schedules_changed = Signal()
