from django.urls import re_path

from policies.api import views

# Every route answers with and without the `.json` suffix that Zendesk clients append.
urlpatterns = [
    re_path(r"^slas/policies(?:\.json)?$", views.PolicyListCreateApi.as_view(), name="policy-list"),
    re_path(
        r"^slas/policies/reorder(?:\.json)?$",
        views.PolicyReorderApi.as_view(),
        name="policy-reorder",
    ),
    re_path(
        r"^slas/policies/definitions(?:\.json)?$",
        views.PolicyDefinitionsApi.as_view(),
        name="policy-definitions",
    ),
    re_path(
        r"^slas/policies/(?P<policy_id>[0-9]{1,18})(?:\.json)?$",
        views.PolicyDetailApi.as_view(),
        name="policy-detail",
    ),
]
