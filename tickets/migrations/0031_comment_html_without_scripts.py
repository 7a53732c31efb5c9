"""Comment HTML stored before it was cleaned on the way in is cleaned the same way, so no
stored comment answers a script in its `html_body`."""

from typing import Any

import nh3
from django.db import migrations

# As `tickets.inputs.safe_html` cleans, fixed here as it was when this ran.
ATTRIBUTES = {
    **{tag: set(names) for tag, names in nh3.ALLOWED_ATTRIBUTES.items()},
    "*": {*nh3.ALLOWED_ATTRIBUTES.get("*", ()), "class", "dir"},
}


def clean_stored_html(apps: Any, schema_editor: Any) -> None:
    TicketComment = apps.get_model("tickets", "TicketComment")
    changed = []
    for comment in TicketComment.objects.exclude(html_body="").only("pk", "html_body").iterator():
        cleaned = nh3.clean(comment.html_body, attributes=ATTRIBUTES, link_rel=None)
        if cleaned != comment.html_body:
            comment.html_body = cleaned
            changed.append(comment)
        if len(changed) >= 500:
            TicketComment.objects.bulk_update(changed, ["html_body"])
            changed = []
    TicketComment.objects.bulk_update(changed, ["html_body"])


class Migration(migrations.Migration):
    dependencies = [("tickets", "0030_history_rewrite_kept_events")]

    operations = [migrations.RunPython(clean_stored_html, migrations.RunPython.noop)]
