"""What policy and schedule edits announce. Tickets listen (their app connects the receivers),
so policies never call into tickets: the layers go one way."""

from django.dispatch import Signal

# Sent inside the edit's transaction with `revision_id`: the policy list and the default
# schedule frozen at the edit.
policies_revised = Signal()
