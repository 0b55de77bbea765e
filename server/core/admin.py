"""Admin: idempotency keys (read-only evidence of what a retried request was answered) and the privacy audit trail (read-only)."""

from django.contrib import admin

from core.models import IdempotencyKey, PrivacyAuditEvent


@admin.register(IdempotencyKey)
class IdempotencyKeyAdmin(admin.ModelAdmin):
    list_display = ["user", "endpoint", "key", "response_status", "resource_id", "created_at"]
    list_filter = ["endpoint"]
    search_fields = ["key", "resource_id"]
    readonly_fields = ["user", "endpoint", "key", "fingerprint", "response_status", "response_body", "resource_id", "created_at"]

    def has_add_permission(self, request: object) -> bool:
        return False


@admin.register(PrivacyAuditEvent)
class PrivacyAuditEventAdmin(admin.ModelAdmin):
    list_display = ["at", "user_id", "action", "detail"]
    list_filter = ["action"]
    search_fields = ["user_id"]
    readonly_fields = ["at", "user_id", "action", "detail"]
    actions = None

    def has_add_permission(self, request: object) -> bool:
        return False

    def has_change_permission(self, request: object, obj: object = None) -> bool:
        return False

    def has_delete_permission(self, request: object, obj: object = None) -> bool:
        return False
