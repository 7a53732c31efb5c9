"""slaweb's extensions to the SLA Policies and Group SLA Policies APIs: what a draft would
change on open tickets."""

from __future__ import annotations

from django.utils import timezone
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from policies import selectors
from policies.inputs import GroupSlaPolicyInputSerializer, PolicyInputSerializer
from slaweb.api.errors import invalid, root_object
from slaweb.api.pagination import base_url
from slaweb.api.permissions import IsAdmin
from slaweb.api.schema import with_errors
from tickets.selectors import dropdown_option_values, policy_input_context
from tickets.sla.recompute import group_impact_of, impact_of


class PolicyImpactApi(APIView):
    """slaweb's extension: before saving, what a draft would change on open tickets now."""

    permission_classes = [IsAdmin]

    @extend_schema(
        operation_id="PreviewSLAPolicyImpact",
        request=inline_serializer(
            "SlaPolicyImpactRequest",
            {
                "sla_policy": PolicyInputSerializer(),
                "id": serializers.IntegerField(required=False, help_text="The policy being edited"),
            },
        ),
        responses=with_errors(
            {
                200: inline_serializer(
                    "SlaPolicyImpactResponse", {"impact": serializers.DictField()}
                )
            },
            writes=True,
            lookup=True,  # `id` names a policy that does not exist
        ),
    )
    def post(self, request: Request) -> Response:
        draft = root_object(request, "sla_policy")
        body = request.data if isinstance(request.data, dict) else {}
        raw_id = body.get("id", draft.get("id"))
        policy_id = None
        if raw_id is not None:
            if isinstance(raw_id, bool) or not isinstance(raw_id, int):
                raise invalid("id", "Id: must be the id of an SLA policy")
            policy_id = selectors.policy_get(policy_id=raw_id).pk
        serializer = PolicyInputSerializer(
            data=draft, partial=policy_id is not None, context=policy_input_context()
        )
        serializer.is_valid(raise_exception=True)
        snapshots = selectors.draft_snapshots(dict(serializer.validated_data), policy_id)
        specs = selectors.specs_from_snapshots(snapshots, dropdown_option_values())
        impact = impact_of(specs=specs, now=timezone.now())
        root = base_url(request)
        for ticket in impact["tickets"]:
            ticket["url"] = f"{root}/api/v2/tickets/{ticket['id']}.json"
        return Response({"impact": impact})


class GroupPolicyImpactApi(APIView):
    """slaweb's extension: before saving, what a draft group SLA policy would change on the
    open tickets' group ownership now."""

    permission_classes = [IsAdmin]

    @extend_schema(
        operation_id="PreviewGroupSLAPolicyImpact",
        request=inline_serializer(
            "GroupSlaPolicyImpactRequest",
            {
                "group_sla_policy": GroupSlaPolicyInputSerializer(),
                "id": serializers.CharField(
                    required=False, help_text="The group SLA policy being edited"
                ),
            },
        ),
        responses=with_errors(
            {
                200: inline_serializer(
                    "GroupSlaPolicyImpactResponse",
                    {
                        "impact": serializers.DictField(
                            help_text="As the SLA policy impact, for the ownership by the "
                            'group holding each ticket; a new policy\'s id is ""'
                        )
                    },
                )
            },
            writes=True,
            lookup=True,  # `id` names a group SLA policy that does not exist
        ),
    )
    def post(self, request: Request) -> Response:
        draft = root_object(request, "group_sla_policy")
        body = request.data if isinstance(request.data, dict) else {}
        raw_id = body.get("id", draft.get("id"))
        policy_id = None
        if raw_id is not None:
            if not isinstance(raw_id, str) or not raw_id.strip():
                raise invalid("id", "Id: must be the id of a group SLA policy")
            policy_id = selectors.group_sla_policy_get(policy_id=raw_id.strip()).pk
        serializer = GroupSlaPolicyInputSerializer(
            data=draft, partial=policy_id is not None, context=policy_input_context()
        )
        serializer.is_valid(raise_exception=True)
        snapshots = selectors.group_draft_snapshots(dict(serializer.validated_data), policy_id)
        group_specs = selectors.group_specs_from_snapshots(snapshots)
        impact = group_impact_of(group_specs=group_specs, now=timezone.now())
        root = base_url(request)
        for ticket in impact["tickets"]:
            ticket["url"] = f"{root}/api/v2/tickets/{ticket['id']}.json"
        return Response({"impact": impact})
