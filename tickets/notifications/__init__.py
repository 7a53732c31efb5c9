"""SLA notifications: rules say when and whom; targets schedule them; the clock fires them;
tasks deliver them by signed webhook or email, with retries.

Zendesk cannot notify anyone about SLA breaches (spec §4.3); slaweb can, at the exact time.
"""
