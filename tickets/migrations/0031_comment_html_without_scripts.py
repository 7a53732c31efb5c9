"""Comment HTML stored before it was cleaned on the way in is cleaned the same way, so no
stored comment answers a script in its `html_body`; its `body` becomes the text of the cleaned
HTML (a script's code is no text), and HTML left with no text gives way to the body."""

import html as html_lib
import re
from typing import Any

import nh3
from django.db import migrations
from django.utils.html import strip_tags

# As tickets.inputs.safe_html and html_text read when this was written (nh3 pinned at 0.3.8).
ATTRIBUTES = {
    **{tag: set(names) for tag, names in nh3.ALLOWED_ATTRIBUTES.items()},
    "*": {*nh3.ALLOWED_ATTRIBUTES.get("*", ()), "dir"},
}
CLASSES = {"div": {"zd-comment"}}
LINE_ENDS = re.compile(r"<br\s*/?>|</(?:p|div|li|h[1-6]|tr|blockquote|pre)\s*>", re.IGNORECASE)


def text_of(html: str) -> str:
    text = html_lib.unescape(strip_tags(LINE_ENDS.sub("\n", html)))
    lines = [" ".join(line.split()) for line in text.splitlines()]
    return "\n".join(line for line in lines if line)


def clean_stored_html(apps: Any, schema_editor: Any) -> None:
    TicketComment = apps.get_model("tickets", "TicketComment")
    changed = []
    stored = TicketComment.objects.exclude(html_body="").only("pk", "body", "html_body")
    for comment in stored.iterator():
        cleaned = nh3.clean(
            comment.html_body, attributes=ATTRIBUTES, allowed_classes=CLASSES, link_rel=None
        )
        if cleaned == comment.html_body:
            continue
        text = text_of(cleaned)
        comment.html_body, comment.body = (cleaned, text) if text else ("", comment.body)
        changed.append(comment)
        if len(changed) >= 500:
            TicketComment.objects.bulk_update(changed, ["html_body", "body"])
            changed = []
    TicketComment.objects.bulk_update(changed, ["html_body", "body"])


class Migration(migrations.Migration):
    dependencies = [("tickets", "0030_history_rewrite_kept_events")]

    operations = [migrations.RunPython(clean_stored_html, migrations.RunPython.noop)]
