"""Admin: idempotency keys are read-only evidence of what a retried request was answered."""

from django.contrib import admin

from core.models import IdempotencyKey


@admin.register(IdempotencyKey)
class IdempotencyKeyAdmin(admin.ModelAdmin):
    list_display = ["user", "endpoint", "key", "response_status", "resource_id", "created_at"]
    list_filter = ["endpoint"]
    search_fields = ["key", "resource_id"]
    readonly_fields = ["user", "endpoint", "key", "fingerprint", "response_status", "response_body", "resource_id", "created_at"]

    def has_add_permission(self, request: object) -> bool:
        return False
