from django.urls import re_path

from tickets.api import users

urlpatterns = [
    re_path(r"^users(?:\.json)?$", users.UserListCreateApi.as_view(), name="user-list"),
    re_path(r"^users/me(?:\.json)?$", users.UserMeApi.as_view(), name="user-me"),
    re_path(
        r"^users/(?P<user_id>[0-9]{1,18})(?:\.json)?$",
        users.UserDetailApi.as_view(),
        name="user-detail",
    ),
]
