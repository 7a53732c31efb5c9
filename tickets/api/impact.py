"""slaweb's extension to the SLA Policies API: what a draft would change on open tickets."""

from __future__ import annotations

from django.utils import timezone
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from policies import selectors
from policies.inputs import PolicyInputSerializer
from slaweb.api.errors import invalid, root_object
from slaweb.api.pagination import base_url
from slaweb.api.permissions import IsAdmin
from slaweb.api.schema import with_errors
from tickets.selectors import dropdown_option_values, policy_input_context
from tickets.sla.recompute import impact_of


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
