from __future__ import annotations

from django.urls import URLPattern, URLResolver, path

from casedesk.jobs import views

app_name = "jobs"

urlpatterns: list[URLPattern | URLResolver] = [
    path("failed/", views.failed_jobs, name="failed"),
    path("failed/replay/", views.replay_failed_jobs, name="replay_batch"),
    path("failed/<int:failed_job_id>/", views.failed_job_detail, name="detail"),
    path("failed/<int:failed_job_id>/replay/", views.replay_failed_job, name="replay"),
    path("failed/<int:failed_job_id>/discard/", views.discard_failed_job, name="discard"),
]
