"""What the admin pages of an ordered policy list share: SLA policies and group SLA policies.

Both lists are a matching order (the first policy whose conditions hold applies), so both pages
reorder through `reorder/` with the order the page was showing (a reorder made elsewhere in the
meantime is refused with 409 instead of overwritten), mark the policies that can never match,
warn through `shadowing/` while a draft is edited, place the serializer's errors next to the
condition row and target cell they concern, and describe a delete in words. `OrderedPolicyAdmin`
and `OrderedPolicyForm` hold that once; each page's class names its model, services and words.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from typing import Any, ClassVar, Generic, TypeVar, cast

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.views.main import ORDER_VAR, ChangeList
from django.db.models import Model, QuerySet
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.urls import URLPattern, path, reverse
from django.utils.html import format_html

from policies.engine.shadowing import first_covering
from policies.engine.vocabulary import Priority
from slaweb.forms import JSONField, json_loads
from tickets.selectors import policy_input_context

M = TypeVar("M", bound=Model)

TARGET_UNITS = [("days", "d"), ("hours", "h"), ("minutes", "m")]


class PrettyJSONField(JSONField):
    def prepare_value(self, value: Any) -> str:
        if isinstance(value, str):
            return value
        return json.dumps(value, indent=2)


def position_field(help_text: str) -> forms.TypedChoiceField:
    """Where the policy goes in the list; blank (when editing) keeps it where it is."""
    return forms.TypedChoiceField(
        label="Position", coerce=int, empty_value=None, required=False, help_text=help_text
    )


def json_body(request: HttpRequest) -> dict[str, Any]:
    try:
        body = json_loads(request.body or b"null")
    except (ValueError, UnicodeDecodeError):
        body = None
    if not isinstance(body, dict):
        raise ValueError("The request body must be a JSON object.")
    return body


def flatten(problems: Any) -> list[str]:
    if isinstance(problems, dict):
        return [f"{key}: {p}" for key, value in problems.items() for p in flatten(value)]
    if isinstance(problems, list):
        return [p for item in problems for p in flatten(item)]
    return [str(problems)]


def duration_words(seconds: int) -> str:
    """3600 -> "1 hour", 5400 -> "1 hour 30 minutes", 86400 -> "1 day"."""
    parts = []
    rest = seconds
    for size, unit in ((86400, "day"), (3600, "hour"), (60, "minute"), (1, "second")):
        amount, rest = divmod(rest, size)
        if amount:
            parts.append(f"{amount} {unit}{'s' if amount != 1 else ''}")
    return " ".join(parts) or "0 minutes"


def target_grid(metrics: Sequence[tuple[str, str]]) -> list[dict[str, Any]]:
    """Rows of the target grid: one per (metric, title), one cell per priority."""
    return [
        {
            "metric": metric,
            "title": title,
            "cells": [
                {
                    "priority": priority.value,
                    "key": f"{priority.value}:{metric}",
                    "id": f"target-{priority.value}-{metric}",
                    "label": f"{priority.value.capitalize()}, {title}",
                }
                for priority in Priority
            ],
        }
        for metric, title in metrics
    ]


def target_summary(
    metrics: list[dict[str, Any]], titles: Sequence[tuple[str, str]], seconds_key: str
) -> list[dict[str, Any]]:
    """The targets a policy sets, by priority (urgent first), in words, metrics in the order of
    `titles` ((metric, title) pairs); empty cells left out."""
    names = dict(titles)
    order = {metric: index for index, (metric, _) in enumerate(titles)}
    rows = []
    for priority in reversed(list(Priority)):
        items = sorted(
            (m for m in metrics if m["priority"] == priority.value),
            key=lambda m: order.get(m["metric"], len(order)),
        )
        if items:
            rows.append(
                {
                    "priority": priority.value.capitalize(),
                    "targets": [
                        {
                            "metric": names.get(m["metric"], m["metric"]),
                            "duration": duration_words(int(m[seconds_key])),
                            "hours": "business hours" if m["business_hours"] else "calendar hours",
                        }
                        for m in items
                    ],
                }
            )
    return rows


def position_choices(
    others: Sequence[Any], is_catch_all: Callable[[Any], bool]
) -> tuple[list[tuple[str, str]], int]:
    """(choices, default) for where a policy goes among `others` (in order), each place named
    by its neighbours.

    A new policy goes before the first catch-all (a policy that `is_catch_all`: nothing after
    it can match), the last place where it can match; without one, last.
    """
    catch_alls = [index for index, policy in enumerate(others) if is_catch_all(policy)]
    choices: list[tuple[str, str]] = []
    for index, policy in enumerate(others):
        label = f"before “{policy.title}”"
        if index in catch_alls:
            label += " (catch-all)"
        if index == 0:
            label = f"First, {label}"
        choices.append((str(index + 1), label))
    last = f"Last, after “{others[-1].title}”" if others else "First (the only policy)"
    choices.append((str(len(others) + 1), last))
    return choices, catch_alls[0] + 1 if catch_alls else len(others) + 1


def shadowed_policies(
    policies: Sequence[Any], filter_of: Callable[[Any], dict[str, Any]]
) -> dict[Any, Any]:
    """For each policy (given in position order) that can never match, the one that wins."""
    filters = [filter_of(policy) for policy in policies]
    shadowed = {}
    for index, policy in enumerate(policies):
        found = first_covering(filters[index], filters[:index])
        if found is not None:
            shadowed[policy.pk] = policies[found]
    return shadowed


def draft_shadowed_by(snapshots: list[dict[str, Any]], own_id: Any) -> dict[str, Any] | None:
    """The earlier policy that catches everything the draft `own_id` would, in `snapshots`
    (the policy list as it would be saved)."""
    index = next(i for i, snap in enumerate(snapshots) if snap["id"] == own_id)
    earlier = snapshots[:index]
    found = first_covering(snapshots[index]["filter"], [snap["filter"] for snap in earlier])
    if found is None:
        return None
    snap = earlier[found]
    return {"id": snap["id"], "title": snap["title"], "position": snap["position"]}


def _by_index(errors: Any) -> dict[int, Any] | None:
    """DRF reports a list's item errors as {index: errors} or as one entry per item."""
    if isinstance(errors, dict) and all(isinstance(k, int) for k in errors):
        return dict(errors)
    if isinstance(errors, list) and errors and all(isinstance(e, dict) for e in errors):
        return dict(enumerate(errors))
    return None


def _condition_place(problem: str, groups: Sequence[str]) -> tuple[str, str] | None:
    """ "all[0]: message" -> ("all:0", "message")."""
    prefix, _, message = problem.partition(": ")
    group, bracket, index = prefix.partition("[")
    if group in groups and bracket and index.endswith("]") and index[:-1].isdigit():
        return f"{group}:{index[:-1]}", message
    return None


def placed_errors(
    errors: dict[str, Any],
    metrics: Any,
    *,
    groups: Sequence[str],
    target_key: Callable[[dict[str, Any]], str],
    words: Callable[[str], str] = str,
) -> dict[str, Any]:
    """The serializer's errors keyed by where the editor shows them.

    `conditions` is keyed "all:0", `targets` by `target_key` of the submitted metric at that
    index ("urgent:first_reply_time"); `filter` and `policy_metrics` hold what concerns no
    single row or cell. `words` rewords the messages about conditions.
    """
    placed: dict[str, Any] = {"conditions": {}, "targets": {}, "filter": [], "policy_metrics": []}
    filter_errors = errors.get("filter", [])
    if isinstance(filter_errors, dict) and any(
        _by_index(filter_errors.get(group)) is not None for group in groups
    ):
        rest = dict(filter_errors)
        for group in groups:
            by_condition = _by_index(filter_errors.get(group))
            if by_condition is None:
                continue
            del rest[group]
            for index, problems in by_condition.items():
                if problems:
                    placed["conditions"].setdefault(f"{group}:{index}", []).extend(
                        words(p) for p in flatten(problems)
                    )
        placed["filter"].extend(words(p) for p in flatten(rest))
    else:
        for problem in flatten(filter_errors):
            place = _condition_place(problem, groups)
            if place is None:
                placed["filter"].append(words(problem))
            else:
                placed["conditions"].setdefault(place[0], []).append(words(place[1]))
    metric_errors = errors.get("policy_metrics", [])
    by_metric = _by_index(metric_errors)
    if by_metric is None:
        placed["policy_metrics"].extend(flatten(metric_errors))
        by_metric = {}
    for index, problems in by_metric.items():
        if not problems:
            continue
        item = metrics[index] if isinstance(metrics, list) and index < len(metrics) else None
        if isinstance(item, dict) and isinstance(item.get("priority"), str):
            placed["targets"].setdefault(target_key(item), []).extend(flatten(problems))
        else:
            placed["policy_metrics"].extend(flatten(problems))
    return placed


class OrderedPolicyForm(forms.ModelForm[M], Generic[M]):
    """The editor's form: a position among the other policies, and the API's serializer as the
    judge of everything else."""

    # Set by each page's form.
    serializer_class: ClassVar[type[Any]]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Errors by condition row and target cell, for the builder to show next to them.
        self.placed_errors: dict[str, Any] = {}
        self.validated: dict[str, Any] = {}
        # A group SLA policy's id is made on construction: ask the state, not the id.
        editing = not self.instance._state.adding
        choices, default = self.position_choices(self.instance.pk if editing else None)
        position = cast(forms.TypedChoiceField, self.fields["position"])
        if editing:
            # Blank keeps it where it is, whatever moved while the page was open.
            position.choices = [("", "Where it is now"), *choices]
        else:
            position.choices = choices
            self.initial.setdefault("position", default)
            if default < len(choices):
                position.help_text = (
                    f"A new policy goes {choices[default - 1][1]}, so it can match: policies "
                    "are tried from the top, and the first whose conditions a ticket meets "
                    "applies."
                )
        self.default_position_label = dict(choices).get(str(default), "")
        if editing:
            # Blank means "where it is": a position read when the page opened would undo a
            # reorder made while it was open.
            self.initial["position"] = None
            self.initial.update(self.stored_fields(self.instance.pk))

    @staticmethod
    def policy_queryset() -> QuerySet[Any]:
        raise NotImplementedError

    def is_catch_all(self, policy: Any) -> bool:
        """Whether `policy` matches everything (a new policy then goes before it)."""
        return False

    def position_choices(self, policy_id: Any) -> tuple[list[tuple[str, str]], int]:
        others = [p for p in self.policy_queryset().order_by("position", "id") if p.pk != policy_id]
        return position_choices(others, self.is_catch_all)

    def stored_fields(self, policy_id: Any) -> dict[str, Any]:
        """The JSON fields' initial values: the stored policy as the API gives it."""
        raise NotImplementedError

    def input_data(self, cleaned: dict[str, Any]) -> dict[str, Any]:
        """The API's request body for the fields the form cleaned."""
        return {
            "title": cleaned.get("title", ""),
            "description": cleaned.get("description") or None,
            "filter": cleaned.get("filter"),
            "policy_metrics": cleaned.get("policy_metrics") or [],
        }

    def place_errors(self, errors: dict[str, Any], metrics: Any) -> dict[str, Any]:
        raise NotImplementedError

    def error_words(self, name: str, problems: Any) -> list[str]:
        return flatten(problems)

    def serializer_context(self) -> dict[str, Any]:
        return policy_input_context()

    def clean(self) -> dict[str, Any]:
        super().clean()
        cleaned = self.cleaned_data
        data = self.input_data(cleaned)
        if cleaned.get("position"):
            data["position"] = cleaned["position"]
        serializer = self.serializer_class(data=data, context=self.serializer_context())
        if not serializer.is_valid():
            # Placed first: add_error drops the field from cleaned_data.
            self.placed_errors = self.place_errors(serializer.errors, data["policy_metrics"])
            for name, problems in serializer.errors.items():
                target = name if name in self.fields else None
                if target is not None and target in self.errors:
                    continue  # the form said it already: one message per problem
                self.add_error(target, self.error_words(name, problems))
        else:
            self.validated = dict(serializer.validated_data)
        return cleaned


class OrderedChangeList(ChangeList):
    def get_results(self, request: HttpRequest) -> None:
        super().get_results(request)
        # Shadowing depends on every earlier policy, not just the ones on this page.
        cast(OrderedPolicyAdmin[Any], self.model_admin).annotate_results(self.result_list)


class OrderedPolicyAdmin(admin.ModelAdmin[M], Generic[M]):
    """The list in matching order (reorderable, policies that can never match marked), the
    reorder and shadowing views, the editor's shared context, saves, and deletes in words."""

    list_display_links = ["title"]
    ordering = ["position", "id"]
    # The list is the matching order: reordering needs every policy on one page, in that order.
    sortable_by = ()
    list_per_page = 1000

    # Each page's words and wiring.
    singular: ClassVar[str]  # "SLA policy"
    plural: ClassVar[str]  # "SLA policies"
    id_words: ClassVar[str]  # what "“order” must be a list of … ids" says
    id_error_words: ClassVar[str]  # what "“id” must be …" says
    catches: ClassVar[str]  # what an earlier policy catches: "ticket"
    impact_url_name: ClassVar[str]
    list_columns: ClassVar[list[str]]
    json_fieldset_title: ClassVar[str]
    extra_fieldsets: ClassVar[list[Any]] = []
    order_changed_error: ClassVar[type[Exception]]
    unknown_policies_error: ClassVar[type[Exception]]

    # Each page's selectors and services; the two lists' functions take the same keywords.
    new_policy_id: ClassVar[Any]  # the id draft_snapshots gives a new policy
    create_policy: ClassVar[Callable[..., Any]]
    update_policy: ClassVar[Callable[..., Any]]
    delete_policy: ClassVar[Callable[..., None]]
    reorder_policies: ClassVar[Callable[..., None]]
    # The target grid's rows as (metric, title), and the key of a stored target's seconds.
    grid_titles: ClassVar[list[tuple[str, str]]]
    seconds_key: ClassVar[str]

    @staticmethod
    def policy_queryset() -> QuerySet[Any]:
        raise NotImplementedError

    @staticmethod
    def policy_filter(policy: Any) -> dict[str, Any]:
        raise NotImplementedError

    @staticmethod
    def policy_metrics(policy: Any) -> list[dict[str, Any]]:
        raise NotImplementedError

    @staticmethod
    def draft_snapshots(data: dict[str, Any], policy_id: Any) -> list[dict[str, Any]]:
        raise NotImplementedError

    def is_id(self, value: Any) -> bool:
        """Whether `value` has the shape of a policy id (in a reorder request)."""
        raise NotImplementedError

    def is_draft_id(self, value: Any) -> bool:
        """Whether `value` may name the edited policy (in a shadowing request)."""
        return self.is_id(value)

    def parse_draft_filter(self, filter: Any) -> dict[str, Any]:
        """The draft's filter from a shadowing request; ValueError when malformed."""
        raise NotImplementedError

    def draft_shadowed_by(
        self, filter: dict[str, Any], policy_id: Any, position: int | None = None
    ) -> dict[str, Any] | None:
        """The earlier policy that catches everything `filter` would, placed as it would be
        saved (`policy_id`: the policy being edited, None for a new one; `position`: None keeps
        it where it is, or puts a new one last)."""
        data: dict[str, Any] = {"filter": filter}
        if position is not None:
            data["position"] = position
        snapshots = self.draft_snapshots(data, policy_id)
        return draft_shadowed_by(snapshots, self.new_policy_id if policy_id is None else policy_id)

    def target_grid(self) -> list[dict[str, Any]]:
        return target_grid(self.grid_titles)

    def target_summary(self, metrics: list[dict[str, Any]]) -> list[dict[str, Any]]:
        return target_summary(metrics, self.grid_titles, self.seconds_key)

    def target_words(self, target: dict[str, Any]) -> str:
        raise NotImplementedError

    def conditions_in_words(self, policies: Sequence[M]) -> dict[Any, list[str]]:
        raise NotImplementedError

    def editor_config(self) -> dict[str, Any]:
        """The editor's settings beyond the ones every ordered policy editor has."""
        raise NotImplementedError

    def summary_extra(self, policy: M) -> dict[str, Any]:
        """What a page's read-only summary says beyond the targets and the position."""
        return {}

    def editor_context(self, request: HttpRequest, form: Any, obj: M | None) -> dict[str, Any]:
        """The template's context beyond the shared, for a page's own parts."""
        return {}

    # Shared --------------------------------------------------------------------------------

    def url_name(self, view: str) -> str:
        return f"{self.opts.app_label}_{self.opts.model_name}_{view}"

    def ordered_policies(self) -> list[M]:
        return list(self.policy_queryset().order_by("position", "id"))

    def shadowed(self) -> dict[Any, M]:
        return shadowed_policies(self.ordered_policies(), self.policy_filter)

    def annotate_results(self, results: Sequence[M]) -> None:
        shadowed = self.shadowed()
        for policy in results:
            policy.shadowed_by = shadowed.get(policy.pk)  # type: ignore[attr-defined]

    def shadow_message(self, title: str, winner: dict[str, Any]) -> str:
        return (
            f"“{title}” can never match: “{winner['title']}” (position {winner['position']}) "
            f"comes earlier and catches every {self.catches} it would. Move it above, or "
            "narrow the earlier one."
        )

    def id_list(self, value: Any, name: str) -> list[Any]:
        if not isinstance(value, list) or not all(self.is_id(item) for item in value):
            raise ValueError(f"“{name}” must be a list of {self.id_words} ids.")
        if len(set(value)) != len(value):
            raise ValueError(f"“{name}” names a policy twice.")
        return value

    # Lists -------------------------------------------------------------------------------

    def can_reorder(self, request: HttpRequest) -> bool:
        # A list sorted by a column (?o=) is not the matching order, so it cannot be reordered.
        return self.has_change_permission(request) and ORDER_VAR not in request.GET

    def get_list_display(self, request: HttpRequest) -> list[str | Callable[[M], str | bool]]:
        columns: list[str | Callable[[M], str | bool]] = list(self.list_columns)
        if self.can_reorder(request):
            return ["order_controls", *columns]
        return columns

    def get_changelist(self, request: HttpRequest, **kwargs: Any) -> type[ChangeList]:
        return OrderedChangeList

    @admin.display(description="Order")
    def order_controls(self, obj: M) -> str:
        # Rendered disabled; policy_list.js enables them, so nothing moves when it loads.
        return format_html(
            '<span class="policy-order" data-policy-id="{id}" data-policy-title="{title}">'
            '<span class="policy-handle" aria-hidden="true" title="Drag to reorder">⠿</span>'
            '<button type="button" class="policy-move" data-move="up" disabled '
            'aria-label="Move “{title}” up">↑<span class="policy-move-text"> Up</span></button>'
            '<button type="button" class="policy-move" data-move="down" disabled '
            'aria-label="Move “{title}” down">↓<span class="policy-move-text"> Down</span></button>'
            "</span>",
            id=obj.pk,
            title=cast(Any, obj).title,
        )

    @admin.display(description="Matching")
    def matching(self, obj: M) -> str:
        winner = getattr(obj, "shadowed_by", None)
        if winner is None:
            return format_html('<span class="policy-matching" data-policy-id="{}"></span>', obj.pk)
        return format_html(
            '<span class="policy-matching policy-shadowed" data-policy-id="{}">'
            "Never matches: “{}” comes first</span>",
            obj.pk,
            winner.title,
        )

    def changelist_view(
        self, request: HttpRequest, extra_context: dict[str, Any] | None = None
    ) -> HttpResponse:
        context = {
            **(extra_context or {}),
            "can_reorder": self.can_reorder(request),
            "reorder_url": reverse(f"admin:{self.url_name('reorder')}"),
            "impact_url": reverse(self.impact_url_name),
        }
        return super().changelist_view(request, extra_context=context)

    # Extra views -------------------------------------------------------------------------

    def get_urls(self) -> list[URLPattern]:
        own = [
            path(
                "reorder/",
                self.admin_site.admin_view(self.reorder_view),
                name=self.url_name("reorder"),
            ),
            path(
                "shadowing/",
                self.admin_site.admin_view(self.shadowing_view),
                name=self.url_name("shadowing"),
            ),
        ]
        return own + super().get_urls()

    def reorder_view(self, request: HttpRequest) -> JsonResponse:
        """POST {"order": [ids...], "expected": [ids as the page showed them]}."""
        if request.method != "POST":
            return JsonResponse({"error": "Use POST."}, status=405, headers={"Allow": "POST"})
        if not self.has_change_permission(request):
            return JsonResponse({"error": f"You may not reorder {self.plural}."}, status=403)
        try:
            body = json_body(request)
            order = self.id_list(body.get("order"), "order")
            expected = self.id_list(body.get("expected"), "expected")
            if sorted(order) != sorted(expected):
                raise ValueError("“order” must list exactly the policies in “expected”.")
        except ValueError as error:
            return JsonResponse({"error": str(error)}, status=422)
        try:
            self.reorder_policies(policy_ids=order, expected_ids=expected)
        except self.order_changed_error as changed:
            messages.warning(
                request,
                f"Another admin changed the order of the {self.plural} while you were moving "
                "them. Nothing was saved; this is the current order.",
            )
            message = "Another admin changed the order in the meantime. Nothing was saved."
            current = cast(Any, changed).current_ids
            return JsonResponse({"error": message, "order": current}, status=409)
        except self.unknown_policies_error as error:
            return JsonResponse({"error": str(error)}, status=422)
        policies = self.ordered_policies()
        shadowed = shadowed_policies(policies, self.policy_filter)
        return JsonResponse(
            {
                "order": [policy.pk for policy in policies],
                "shadowed": {str(pk): winner.title for pk, winner in shadowed.items()},
            }
        )

    def shadowing_view(self, request: HttpRequest) -> JsonResponse:
        """POST {"filter": {...}, "id": the edited policy or null, "position": n or null}: the
        earlier policy that would catch everything the draft would, if any."""
        if request.method != "POST":
            return JsonResponse({"error": "Use POST."}, status=405, headers={"Allow": "POST"})
        if not (self.has_change_permission(request) or self.has_add_permission(request)):
            return JsonResponse({"error": f"You may not edit {self.plural}."}, status=403)
        try:
            body = json_body(request)
            filter = self.parse_draft_filter(body.get("filter"))
            policy_id, position = body.get("id"), body.get("position")
            if policy_id is not None and not self.is_draft_id(policy_id):
                raise ValueError(f"“id” must be {self.id_error_words}.")
            if position is not None and (
                isinstance(position, bool) or not isinstance(position, int) or position < 1
            ):
                raise ValueError("“position” must be a positive integer or null.")
        except ValueError as error:
            return JsonResponse({"error": str(error)}, status=422)
        if policy_id is not None and not self.model._default_manager.filter(pk=policy_id).exists():
            return JsonResponse({"error": f"No such {self.singular}."}, status=404)
        return JsonResponse({"shadowed_by": self.draft_shadowed_by(filter, policy_id, position)})

    # The editor --------------------------------------------------------------------------

    def get_fieldsets(self, request: HttpRequest, obj: M | None = None) -> Any:
        if obj is not None and not self.has_change_permission(request, obj):
            return [(None, {"fields": ["title", "description"]})]
        return [
            (None, {"fields": ["title", "description", "position"]}),
            (
                self.json_fieldset_title,
                {
                    "fields": ["filter", "policy_metrics"],
                    "classes": ["policy-json-fields"],
                    "description": "The conditions and targets as the API takes them.",
                },
            ),
            *self.extra_fieldsets,
        ]

    def shadow_winner(self, policy: M) -> dict[str, Any] | None:
        return self.draft_shadowed_by(self.policy_filter(policy), policy.pk)

    def render_change_form(
        self,
        request: HttpRequest,
        context: dict[str, Any],
        add: bool = False,
        change: bool = False,
        form_url: str = "",
        obj: M | None = None,
    ) -> HttpResponse:
        form = context["adminform"].form
        editable = self.has_change_permission(request, obj) if obj else True
        config: dict[str, Any] = {
            "readonly": not editable,
            "policyId": obj.pk if obj else None,
            **self.editor_config(),
            "impactUrl": reverse(self.impact_url_name),
            "shadowingUrl": reverse(f"admin:{self.url_name('shadowing')}"),
            "ticketsUrl": reverse("admin:tickets_ticket_changelist"),
            "priorities": [p.value for p in Priority],
            "metrics": [metric for metric, _ in self.grid_titles],
            "errors": getattr(form, "placed_errors", {}),
        }
        policy = self.policy_queryset().get(pk=obj.pk) if obj is not None else None
        if not editable and policy is not None:
            # View-only pages have no JSON fields to read; the builder shows the stored policy.
            config["initial"] = {
                "filter": self.policy_filter(policy),
                "policy_metrics": self.policy_metrics(policy),
            }
        summary = None
        if not editable and policy is not None:
            summary = {
                "targets": self.target_summary(self.policy_metrics(policy)),
                "position": cast(Any, policy).position,
                **self.summary_extra(policy),
            }
        shadow = None
        if policy is not None:
            winner = self.shadow_winner(policy)
            shadow = self.shadow_message(cast(Any, policy).title, winner) if winner else None
        context.update(
            {
                "policy_editor": config,
                "policy_editable": editable,
                "target_units": TARGET_UNITS,
                "priorities": [(p.value, p.value.capitalize()) for p in Priority],
                "shadow_warning": shadow,
                "policy_summary": summary,
                "target_grid": self.target_grid(),
                **self.editor_context(request, form, obj),
            }
        )
        return super().render_change_form(request, context, add, change, form_url, obj)

    # Writes ------------------------------------------------------------------------------

    def save_model(self, request: HttpRequest, obj: M, form: Any, change: bool) -> None:
        data = form.validated
        if change:
            saved = self.update_policy(policy_id=obj.pk, data=data)
        else:
            saved = self.create_policy(**data)
        obj.pk = saved.pk
        winner = self.shadow_winner(saved)
        if winner:
            messages.warning(request, self.shadow_message(cast(Any, saved).title, winner))

    def save_related(self, request: HttpRequest, form: Any, formsets: Any, change: bool) -> None:
        """Conditions and targets were saved by the service."""

    def get_deleted_objects(
        self, objs: Sequence[M] | QuerySet[M], request: HttpRequest
    ) -> tuple[list[Any], dict[str, int], set[str], list[Any]]:
        """What a delete removes, as an admin reads a policy: its conditions and targets in
        words, not the rows that store them."""
        chosen = list(self.policy_queryset().filter(pk__in=[p.pk for p in objs]))
        conditions = self.conditions_in_words(chosen)
        listed: list[Any] = []
        counts = {self.plural: 0, "conditions": 0, "targets": 0}
        for policy in chosen:
            words = conditions[policy.pk]
            parts = [f"Condition: {w}" for w in words]
            for row in self.target_summary(self.policy_metrics(policy)):
                parts += [
                    f"Target: {row['priority']} priority, {self.target_words(t)}"
                    for t in row["targets"]
                ]
            counts[self.plural] += 1
            counts["conditions"] += len(words)
            counts["targets"] += len(cast(Any, policy).metrics.all())
            title = self.singular[:1].upper() + self.singular[1:]
            listed += [f"{title}: {cast(Any, policy).title}", parts]
        perms_needed = set() if self.has_delete_permission(request) else {self.singular}
        return listed, {k: v for k, v in counts.items() if v}, perms_needed, []

    def delete_model(self, request: HttpRequest, obj: M) -> None:
        self.delete_policy(policy_id=obj.pk)

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[M]) -> None:
        for pk in list(queryset.values_list("pk", flat=True)):
            self.delete_policy(policy_id=pk)
