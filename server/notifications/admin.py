"""Admin for push devices, notification rows and their deliveries."""

from __future__ import annotations

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils import timezone

from notifications.models import Delivery, Device, Notification, NotificationStatus


@admin.register(Device)
class DeviceAdmin(admin.ModelAdmin):
    list_display = ["token", "user", "platform", "is_active", "last_seen_at", "deactivation_reason"]
    list_filter = ["platform", "is_active", "deactivation_reason"]
    search_fields = ["token", "user__email"]
    raw_id_fields = ["user"]


class DeliveryInline(admin.TabularInline):
    model = Delivery
    extra = 0
    can_delete = False
    readonly_fields = ["token", "status", "ticket_id", "error", "attempts", "receipt_status", "receipt_checked_at", "updated_at"]
    fields = ["token", "status", "ticket_id", "error", "attempts", "receipt_status", "receipt_checked_at", "updated_at"]


@admin.register(Notification)
class NotificationAdmin(admin.ModelAdmin):
    list_display = ["id", "user", "kind", "status", "due_at", "attempts", "sent_at", "last_error"]
    list_filter = ["status", "kind"]
    search_fields = ["user__email", "group", "dedupe_key"]
    date_hierarchy = "due_at"
    raw_id_fields = ["user"]
    readonly_fields = ["dedupe_key", "claim_token", "claimed_at", "sent_at", "attempts", "created_at", "read_at"]
    inlines = [DeliveryInline]
    actions = ["retry_failed", "cancel_pending"]

    @admin.action(description="Send failed rows again at the next sweep")
    def retry_failed(self, request: HttpRequest, queryset: QuerySet[Notification]) -> None:
        n = queryset.filter(status=NotificationStatus.FAILED).update(status=NotificationStatus.PENDING, next_attempt_at=timezone.now(), attempts=0)
        self.message_user(request, f"{n} notification(s) queued again.")

    @admin.action(description="Cancel pending rows")
    def cancel_pending(self, request: HttpRequest, queryset: QuerySet[Notification]) -> None:
        n = queryset.filter(status=NotificationStatus.PENDING).update(status=NotificationStatus.CANCELLED)
        self.message_user(request, f"{n} notification(s) cancelled.")
