"""Zendesk's SLA Policies API. Each view: validate, call a service or selector, serialize."""

from __future__ import annotations

from typing import Any

from django.http import HttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from policies import selectors, services
from policies.api.serializers import PolicyOutputSerializer
from policies.inputs import PolicyInputSerializer
from slaweb.api.errors import invalid, root_object
from slaweb.api.output import output_context, serialize_many
from slaweb.api.pagination import paginate
from slaweb.api.permissions import IsAdmin
from slaweb.api.schema import PAGINATION_PARAMETERS, paginated, with_errors
from tickets.selectors import policy_definitions, policy_input_context

PolicyEnvelope = inline_serializer("SlaPolicyResponse", {"sla_policy": PolicyOutputSerializer()})
PolicyRequest = inline_serializer("SlaPolicyRequest", {"sla_policy": PolicyInputSerializer()})
PolicyListEnvelope = paginated(
    "SlaPolicyListResponse", "sla_policies", PolicyOutputSerializer(many=True)
)


def _validated(request: Request, *, partial: bool) -> dict[str, Any]:
    serializer = PolicyInputSerializer(
        data=root_object(request, "sla_policy"), partial=partial, context=policy_input_context()
    )
    serializer.is_valid(raise_exception=True)
    return dict(serializer.validated_data)


def _one(request: Request, policy_id: int, code: int = status.HTTP_200_OK) -> Response:
    policy = selectors.policy_get(policy_id=int(policy_id))
    body = PolicyOutputSerializer(policy, context=output_context(request)).data
    return Response({"sla_policy": body}, status=code)


class PolicyListCreateApi(APIView):
    permission_classes = [IsAdmin]

    @extend_schema(
        operation_id="ListSLAPolicies",
        parameters=PAGINATION_PARAMETERS,
        responses=with_errors({200: PolicyListEnvelope}),
    )
    def get(self, request: Request) -> Response:
        context = output_context(request)
        return paginate(
            request,
            selectors.policy_queryset(),
            key="sla_policies",
            serialize=lambda rows: serialize_many(PolicyOutputSerializer, rows, context),
            order=("position", "id"),
        )

    @extend_schema(
        operation_id="CreateSLAPolicy",
        request=PolicyRequest,
        responses=with_errors({201: PolicyEnvelope}, writes=True),
    )
    def post(self, request: Request) -> Response:
        data = _validated(request, partial=False)
        policy = services.policy_create(**data)
        response = _one(request, policy.pk, status.HTTP_201_CREATED)
        response["Location"] = response.data["sla_policy"]["url"]
        return response


class PolicyDetailApi(APIView):
    permission_classes = [IsAdmin]

    @extend_schema(
        operation_id="ShowSLAPolicy", responses=with_errors({200: PolicyEnvelope}, lookup=True)
    )
    def get(self, request: Request, policy_id: str) -> Response:
        return _one(request, int(policy_id))

    @extend_schema(
        operation_id="UpdateSLAPolicy",
        request=PolicyRequest,
        responses=with_errors({200: PolicyEnvelope}, writes=True, lookup=True),
    )
    def put(self, request: Request, policy_id: str) -> Response:
        selectors.policy_get(policy_id=int(policy_id))  # 404 before validation, as Zendesk does
        data = _validated(request, partial=True)
        services.policy_update(policy_id=int(policy_id), data=data)
        return _one(request, int(policy_id))

    @extend_schema(
        operation_id="DeleteSLAPolicy",
        request=None,
        responses=with_errors({204: None}, lookup=True),
    )
    def delete(self, request: Request, policy_id: str) -> Response:
        services.policy_delete(policy_id=int(policy_id))
        return Response(status=status.HTTP_204_NO_CONTENT)


def _reorder_ids(request: Request) -> list[int]:
    raw: Any = None
    if isinstance(request.data, dict) and "sla_policy_ids" in request.data:
        raw = request.data["sla_policy_ids"]
    else:
        values = request.query_params.getlist("sla_policy_ids") or request.query_params.getlist(
            "sla_policy_ids[]"
        )
        if values:
            raw = [part for value in values for part in value.split(",") if part.strip()]
    if raw is None:
        raise invalid("sla_policy_ids", "Sla policy ids: is required", "BlankValue")
    if not isinstance(raw, list):
        raise invalid("sla_policy_ids", "Sla policy ids: must be an array of ids")
    ids = []
    for item in raw:
        if isinstance(item, bool) or not isinstance(item, int | str):
            raise invalid("sla_policy_ids", f"Sla policy ids: {item!r} is not an id")
        try:
            ids.append(int(str(item).strip()))
        except ValueError:
            raise invalid("sla_policy_ids", f"Sla policy ids: {item!r} is not an id") from None
    if len(set(ids)) != len(ids):
        raise invalid("sla_policy_ids", "Sla policy ids: each id may appear once")
    return ids


class PolicyReorderApi(APIView):
    permission_classes = [IsAdmin]

    @extend_schema(
        operation_id="ReorderSLAPolicies",
        parameters=[
            OpenApiParameter(
                "sla_policy_ids",
                OpenApiTypes.INT,
                many=True,
                description="Ids in their new order (or send them in the JSON body)",
            )
        ],
        request=inline_serializer(
            "SlaPolicyReorderRequest",
            {"sla_policy_ids": serializers.ListField(child=serializers.IntegerField())},
        ),
        responses=with_errors({200: {"type": "null"}}, writes=True),
    )
    def put(self, request: Request) -> HttpResponse:
        ids = _reorder_ids(request)
        try:
            services.policy_reorder(policy_ids=ids)
        except services.UnknownPolicies as error:
            raise invalid("sla_policy_ids", f"Sla policy ids: {error}") from None
        # Zendesk answers with the JSON literal null.
        return HttpResponse(b"null", content_type="application/json")


class PolicyDefinitionsApi(APIView):
    permission_classes = [IsAdmin]

    @extend_schema(
        operation_id="RetrieveSLAPolicyFilterDefinitionItems",
        responses=with_errors(
            {
                200: inline_serializer(
                    "SlaPolicyDefinitionsResponse", {"definitions": serializers.JSONField()}
                )
            }
        ),
    )
    def get(self, request: Request) -> Response:
        return Response(policy_definitions())
