"""Zendesk's Ticket Fields API, `/api/v2/ticket_fields` and `/ticket_fields/{id}/options`: the
custom fields tickets carry. Active drop-down (`tagger`) fields are SLA condition fields
(`ticket_fields_<id>`, with option ids as values) from the moment they are saved. Agents read,
admins write.

A drop-down's `custom_field_options` are `{name, value}` (value: the tag tickets carry). In an
update the list is the whole new list, as in Zendesk: an option is matched by its `id`, else
by its `value`; options left out are deleted. `POST .../options` creates or updates one
option (201 new, 200 updated).

Departures from Zendesk:
- Only custom fields are listed: slaweb has no system field records (subject, status, ...).
- Types are those slaweb stores: text, textarea, integer, decimal, checkbox, date and tagger
  (no multiselect, regexp, partialcreditcard or lookup). `type` cannot change after creation.
- What SLA conditions name stays: an option a condition names may not be deleted or change
  its tag, and a field a condition names may not be deactivated or deleted (422, naming the
  policies). A field tickets carry values for may not be deleted either (deactivate it);
  Zendesk deletes it and the values. Removing an option leaves the tag text on tickets.
- End users get 403 (Zendesk shows them the fields visible in its help center; slaweb keeps
  no such flag). Portal, description, required, tag and regexp settings are not kept and not
  answered (sent, they are ignored), nor when a field last changed (`updated_at`).
"""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema, extend_schema_field, inline_serializer
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from slaweb.api.errors import RecordInvalid, invalid, root_object
from slaweb.api.fields import StrictBooleanField, StrictCharField, StrictIntegerField
from slaweb.api.output import Link, Timestamp, output_context, serialize_many
from slaweb.api.pagination import base_url, paginate
from slaweb.api.permissions import AgentReadsAdminWrites
from slaweb.api.schema import PAGINATION_PARAMETERS, paginated, with_errors
from tickets import account_services
from tickets.models import TicketField, TicketFieldOption

TYPES = [choice for choice, _ in TicketField.TYPE_CHOICES]
DROPDOWN = "tagger"
MAX_POSITION = 2_147_483_647
MAX_OPTIONS = 2000  # Zendesk's limit per field
CURSOR_PARAMETERS = ("page[size]", "page[after]", "page[before]")


# A pattern, not an enum: as an enum the schema would name it against the ticket's `type`.
@extend_schema_field({"type": "string", "pattern": f"^({'|'.join(TYPES)})$"})
class FieldTypeField(serializers.ChoiceField):
    pass


class OptionInputSerializer(serializers.Serializer[Any]):
    """One option. `name` and `value` may be left out for an option of the field named by its
    `id` (zenpy sends the options it holds as bare ids); they keep what they were."""

    id = StrictIntegerField(required=False, allow_null=True, help_text="The option to update")
    name = StrictCharField(max_length=255, required=False, help_text="Required for a new one")
    value = StrictCharField(
        max_length=255, required=False, help_text="The tag, one word; required for a new one"
    )
    position = StrictIntegerField(required=False, min_value=0, max_value=MAX_POSITION)

    def validate_value(self, value: str) -> str:
        if any(character.isspace() for character in value):
            raise serializers.ValidationError("is a tag: one word without spaces")
        return value


class TicketFieldInputSerializer(serializers.Serializer[Any]):
    """The `ticket_field` object; update is partial. Pass the stored field as the instance."""

    type = FieldTypeField(choices=TYPES, required=False, help_text="Default: text")
    title = StrictCharField(max_length=255)
    active = StrictBooleanField(required=False)
    position = StrictIntegerField(required=False, min_value=0, max_value=MAX_POSITION)
    custom_field_options = OptionInputSerializer(many=True, required=False)

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        field: TicketField | None = self.instance
        if field is not None and attrs.get("type", field.type) != field.type:
            raise serializers.ValidationError({"type": ["cannot change once the field exists"]})
        kind = attrs.get("type", field.type if field is not None else "text")
        options = attrs.get("custom_field_options")
        if kind == DROPDOWN:
            if options == [] or (field is None and not options):
                raise serializers.ValidationError(
                    {"custom_field_options": ["a drop-down field needs at least one option"]}
                )
        elif options:
            raise serializers.ValidationError(
                {"custom_field_options": ["only drop-down (tagger) fields have options"]}
            )
        if options and len(options) > MAX_OPTIONS:
            raise serializers.ValidationError(
                {"custom_field_options": [f"a field has at most {MAX_OPTIONS} options"]}
            )
        if options:
            attrs["custom_field_options"] = self._options(field, options)
        return attrs

    def _options(self, field: TicketField | None, options: list[dict[str, Any]]) -> list[Any]:
        """Ids that are not this field's options are dropped (the option is new, or matched by
        its value); values and ids may appear once."""
        own = {o.pk: o for o in field.options.all()} if field is not None else {}
        clean, values, ids = [], set(), set()
        for option in options:
            stored = own.get(option["id"]) if option.get("id") is not None else None
            option, missing = complete_option(option, stored)
            if missing:
                raise serializers.ValidationError(
                    {"custom_field_options": [f"a new option needs {' and '.join(missing)}"]}
                )
            if option["value"] in values:
                raise serializers.ValidationError(
                    {"custom_field_options": [f"the value {option['value']!r} appears twice"]}
                )
            if option.get("id") in ids:
                raise serializers.ValidationError(
                    {"custom_field_options": [f"the option {option['id']} appears twice"]}
                )
            values.add(option["value"])
            if "id" in option:
                ids.add(option["id"])
            clean.append(option)
        return clean


def complete_option(
    option: dict[str, Any], stored: TicketFieldOption | None
) -> tuple[dict[str, Any], list[str]]:
    """The option with the stored option's name and value where it leaves them out, and what
    it lacks: without a stored option (a new one) both `name` and `value` are required."""
    option = dict(option)
    if stored is None:
        option.pop("id", None)
        return option, sorted({"name", "value"} - option.keys())
    option.setdefault("name", stored.name)
    option.setdefault("value", stored.value)
    return option, []


# Needs `context["root"]`.
class TicketFieldOptionOutputSerializer(serializers.Serializer[TicketFieldOption]):
    url = Link("/api/v2/ticket_fields/{obj.field_id}/options/{obj.pk}.json")
    id = serializers.IntegerField()
    name = serializers.CharField()
    raw_name = serializers.CharField(source="name")
    value = serializers.CharField(help_text="The tag tickets carry")
    position = serializers.IntegerField()
    # Not `get_default`: that is every field's own method.
    default = serializers.SerializerMethodField(method_name="is_default")

    def is_default(self, option: TicketFieldOption) -> bool:
        return False


# Needs `context["root"]`.
class TicketFieldOutputSerializer(serializers.Serializer[TicketField]):
    url = Link("/api/v2/ticket_fields/{obj.pk}.json")
    id = serializers.IntegerField()
    type = serializers.CharField(help_text=f"One of: {', '.join(TYPES)}")
    title = serializers.CharField()
    raw_title = serializers.CharField(source="title")
    active = serializers.BooleanField()
    position = serializers.IntegerField()
    created_at = Timestamp()
    custom_field_options = TicketFieldOptionOutputSerializer(
        source="options", many=True, required=False, help_text="Drop-down (tagger) fields only"
    )

    def to_representation(self, instance: TicketField) -> dict[str, Any]:
        data: dict[str, Any] = super().to_representation(instance)
        if instance.type != DROPDOWN:
            del data["custom_field_options"]
        return data


TicketFieldEnvelope = inline_serializer(
    "TicketFieldResponse", {"ticket_field": TicketFieldOutputSerializer()}
)
TicketFieldRequest = inline_serializer(
    "TicketFieldRequest", {"ticket_field": TicketFieldInputSerializer()}
)
TicketFieldListEnvelope = paginated(
    "TicketFieldListResponse", "ticket_fields", TicketFieldOutputSerializer(many=True)
)
OptionEnvelope = inline_serializer(
    "CustomFieldOptionResponse", {"custom_field_option": TicketFieldOptionOutputSerializer()}
)
OptionRequest = inline_serializer(
    "CustomFieldOptionRequest", {"custom_field_option": OptionInputSerializer()}
)
OptionListEnvelope = paginated(
    "CustomFieldOptionListResponse",
    "custom_field_options",
    TicketFieldOptionOutputSerializer(many=True),
)


def _field(field_id: str) -> TicketField:
    return TicketField.objects.prefetch_related("options").get(pk=int(field_id))


def _one(request: Request, field: TicketField, code: int = status.HTTP_200_OK) -> Response:
    body = TicketFieldOutputSerializer(field, context=output_context(request)).data
    return Response({"ticket_field": body}, status=code)


def _validated(request: Request, field: TicketField | None = None) -> dict[str, Any]:
    data = root_object(request, "ticket_field")
    serializer = TicketFieldInputSerializer(field, data=data, partial=field is not None)
    serializer.is_valid(raise_exception=True)
    return dict(serializer.validated_data)


class TicketFieldListCreateApi(APIView):
    permission_classes = [AgentReadsAdminWrites]

    @extend_schema(
        operation_id="ListTicketFields",
        parameters=PAGINATION_PARAMETERS,
        responses=with_errors({200: TicketFieldListEnvelope}),
    )
    def get(self, request: Request) -> Response:
        context = output_context(request)
        cursor = any(name in request.query_params for name in CURSOR_PARAMETERS)
        return paginate(
            request,
            TicketField.objects.prefetch_related("options"),
            key="ticket_fields",
            serialize=lambda rows: serialize_many(TicketFieldOutputSerializer, rows, context),
            # As Zendesk: cursor pages by id, otherwise in position order.
            order=("id",) if cursor else ("position", "id"),
        )

    @extend_schema(
        operation_id="CreateTicketField",
        request=TicketFieldRequest,
        responses=with_errors({201: TicketFieldEnvelope}, writes=True),
    )
    def post(self, request: Request) -> Response:
        data = _validated(request)
        try:
            field = account_services.ticket_field_create(**data)
        except account_services.AccountWriteRefused as error:
            raise invalid(error.field, error.description) from None
        response = _one(request, _field(str(field.pk)), status.HTTP_201_CREATED)
        response["Location"] = response.data["ticket_field"]["url"]
        return response


class TicketFieldDetailApi(APIView):
    permission_classes = [AgentReadsAdminWrites]

    @extend_schema(
        operation_id="ShowTicketfield",
        responses=with_errors({200: TicketFieldEnvelope}, lookup=True),
    )
    def get(self, request: Request, ticket_field_id: str) -> Response:
        return _one(request, _field(ticket_field_id))

    @extend_schema(
        operation_id="UpdateTicketField",
        request=TicketFieldRequest,
        responses=with_errors({200: TicketFieldEnvelope}, writes=True, lookup=True),
    )
    def put(self, request: Request, ticket_field_id: str) -> Response:
        data = _validated(request, _field(ticket_field_id))
        try:
            account_services.ticket_field_update(field_id=int(ticket_field_id), data=data)
        except account_services.AccountWriteRefused as error:
            raise invalid(error.field, error.description) from None
        return _one(request, _field(ticket_field_id))

    @extend_schema(
        operation_id="DeleteTicketField",
        request=None,
        responses=with_errors({204: None}, writes=True, lookup=True),
    )
    def delete(self, request: Request, ticket_field_id: str) -> Response:
        try:
            account_services.ticket_field_delete(field_id=int(ticket_field_id))
        except account_services.AccountWriteRefused as error:
            raise invalid(error.field, error.description) from None
        return Response(status=status.HTTP_204_NO_CONTENT)


def _one_option(
    request: Request, option: TicketFieldOption, code: int = status.HTTP_200_OK
) -> Response:
    body = TicketFieldOptionOutputSerializer(option, context=output_context(request)).data
    return Response({"custom_field_option": body}, status=code)


class TicketFieldOptionListCreateApi(APIView):
    permission_classes = [AgentReadsAdminWrites]

    @extend_schema(
        operation_id="ListTicketFieldOptions",
        parameters=PAGINATION_PARAMETERS,
        responses=with_errors({200: OptionListEnvelope}, lookup=True),
    )
    def get(self, request: Request, ticket_field_id: str) -> Response:
        field = TicketField.objects.get(pk=int(ticket_field_id))
        context = output_context(request)
        return paginate(
            request,
            field.options.all(),
            key="custom_field_options",
            serialize=lambda rows: serialize_many(TicketFieldOptionOutputSerializer, rows, context),
            order=("position", "id"),
        )

    @extend_schema(
        operation_id="CreateOrUpdateTicketFieldOption",
        request=OptionRequest,
        responses=with_errors({200: OptionEnvelope, 201: OptionEnvelope}, writes=True, lookup=True),
    )
    def post(self, request: Request, ticket_field_id: str) -> Response:
        field = TicketField.objects.get(pk=int(ticket_field_id))
        serializer = OptionInputSerializer(data=root_object(request, "custom_field_option"))
        serializer.is_valid(raise_exception=True)
        if field.type != DROPDOWN:
            raise invalid("base", "Only drop-down (tagger) fields have options")
        data = dict(serializer.validated_data)
        stored = field.options.filter(pk=data["id"]).first() if data.get("id") else None
        data, missing = complete_option(data, stored)
        if missing:
            raise RecordInvalid(
                {
                    key: [{"description": f"{key.title()}: is required", "error": "BlankValue"}]
                    for key in missing
                }
            )
        try:
            option, created = account_services.ticket_field_option_save(
                field_id=field.pk, data=data
            )
        except account_services.AccountWriteRefused as error:
            raise invalid(error.field, error.description) from None
        response = _one_option(
            request, option, status.HTTP_201_CREATED if created else status.HTTP_200_OK
        )
        response["Location"] = f"{base_url(request)}/api/v2/ticket_fields/{field.pk}/options.json"
        return response


class TicketFieldOptionDetailApi(APIView):
    permission_classes = [AgentReadsAdminWrites]

    @extend_schema(
        operation_id="ShowTicketFieldOption",
        responses=with_errors({200: OptionEnvelope}, lookup=True),
    )
    def get(self, request: Request, ticket_field_id: str, option_id: str) -> Response:
        option = TicketFieldOption.objects.get(pk=int(option_id), field_id=int(ticket_field_id))
        return _one_option(request, option)

    @extend_schema(
        operation_id="DeleteTicketFieldOption",
        request=None,
        responses=with_errors({204: None}, writes=True, lookup=True),
    )
    def delete(self, request: Request, ticket_field_id: str, option_id: str) -> Response:
        try:
            account_services.ticket_field_option_delete(
                field_id=int(ticket_field_id), option_id=int(option_id)
            )
        except account_services.AccountWriteRefused as error:
            raise invalid(error.field, error.description) from None
        return Response(status=status.HTTP_204_NO_CONTENT)
