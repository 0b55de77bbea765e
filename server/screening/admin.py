"""Admin: the model registry (activate / roll back), screenings (read-only results), lesions, reviews with
their history (read-only: reviews are written by clinicians through the API), the access trail."""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest

from core.errors import ApplicationError
from screening import services
from screening.models import Lesion, ModelVersion, Screening, ScreeningAccessLog, ScreeningReview, ScreeningReviewRevision, ScreeningShare


@admin.register(ModelVersion)
class ModelVersionAdmin(admin.ModelAdmin):
    list_display = ("version", "is_active", "synthetic", "bundle_created_at", "imported_at", "activated_at", "activated_by")
    list_filter = ("synthetic",)
    search_fields = ("version",)
    actions = ["activate_selected"]
    # Bundles are never edited in place: every field is read-only; import with manage.py import_bundles.
    readonly_fields = ("version", "path", "manifest", "manifest_sha256", "synthetic", "bundle_created_at", "imported_at", "activated_at", "activated_by")

    @admin.display(boolean=True, description="Active")
    def is_active(self, obj: ModelVersion) -> bool:
        return obj.is_active

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    @admin.action(description="Activate (or roll back to) the selected version")
    def activate_selected(self, request: HttpRequest, queryset: QuerySet[ModelVersion]) -> None:
        if queryset.count() != 1:
            self.message_user(request, "Select exactly one version to activate.", level=messages.ERROR)
            return
        mv = queryset.get()
        try:
            services.model_version_activate(model_version=mv, by=request.user)  # type: ignore[arg-type]
        except ApplicationError as exc:
            self.message_user(request, exc.message, level=messages.ERROR)
            return
        self.message_user(request, f"{mv.version} is now the active model.", level=messages.SUCCESS)


class ShareInline(admin.TabularInline):
    model = ScreeningShare
    extra = 0
    raw_id_fields = ("clinician",)


@admin.register(Screening)
class ScreeningAdmin(admin.ModelAdmin):
    list_display = ("id", "owner", "captured_at", "top_label", "risk", "model_version", "device_top_label", "source")
    list_filter = ("risk", "top_label", "source", "model_version")
    search_fields = ("owner__email", "id", "client_uuid")
    raw_id_fields = ("owner",)
    inlines = [ShareInline]
    readonly_fields = [f.name for f in Screening._meta.fields]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False


@admin.register(ScreeningAccessLog)
class ScreeningAccessLogAdmin(admin.ModelAdmin):
    list_display = ("at", "actor_email", "actor_role", "action", "screening_id", "outcome", "reason")
    list_filter = ("outcome", "action", "actor_role")
    search_fields = ("actor_email", "screening_id")
    readonly_fields = [f.name for f in ScreeningAccessLog._meta.fields]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Lesion)
class LesionAdmin(admin.ModelAdmin):
    list_display = ("name", "owner", "body_view", "body_region", "follow_up_due_at", "created_at")
    list_filter = ("body_view",)
    search_fields = ("owner__email", "name", "id")
    raw_id_fields = ("owner",)
    readonly_fields = ("id", "follow_up_due_at", "created_at", "updated_at")


class RevisionInline(admin.TabularInline):
    model = ScreeningReviewRevision
    extra = 0
    can_delete = False
    readonly_fields = ("number", "impression", "note", "follow_up_weeks", "diagnosis_label", "created_at")

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(ScreeningReview)
class ScreeningReviewAdmin(admin.ModelAdmin):
    list_display = ("screening", "clinician_name", "impression", "diagnosis_label", "revision", "updated_at")
    list_filter = ("impression", "diagnosis_label")
    search_fields = ("clinician_name", "screening__id", "screening__owner__email")
    readonly_fields = [f.name for f in ScreeningReview._meta.fields]
    inlines = [RevisionInline]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
