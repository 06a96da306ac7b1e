"""Settings → Support Widget Visibility (owners and admins)."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render

from casedesk.accounts.access import access_current_agency, viewer_from_request
from casedesk.accounts.decorators import team_required
from casedesk.support import identity
from casedesk.support.identity import origin_of
from casedesk.support.models import WidgetSettings


class WidgetSettingsForm(forms.ModelForm):
    class Meta:
        model = WidgetSettings
        fields = [
            "show_on_portal",
            "show_on_storefront",
            "include_patterns",
            "exclude_patterns",
            "allowed_origins",
            "expected_reply_minutes",
            "unseen_reply_email_minutes",
            "auto_assign",
            "auto_assign_cap",
            "escalations_per_visitor_hour",
        ]
        labels = {
            "show_on_portal": "Show on the client portal (/my-cases/)",
            "show_on_storefront": "Show on your storefront (/s/<your agency>/)",
            "include_patterns": "Other pages: show only on these (one pattern a line, * is a wildcard)",
            "exclude_patterns": "Never show on these pages (one pattern a line, * is a wildcard)",
            "allowed_origins": "Websites allowed to embed the widget (one origin a line, e.g. https://www.example.com)",
            "expected_reply_minutes": (
                "Typical reply time to promise, in minutes, until there is enough history"
            ),
            "unseen_reply_email_minutes": (
                "Email a person's reply to the visitor when they have not seen it in the chat "
                "after this many minutes"
            ),
            "auto_assign": (
                "Assign new conversations automatically, in turn, to team members who are available"
            ),
            "auto_assign_cap": "Most open conversations per person before they are skipped",
            "escalations_per_visitor_hour": "Most hand-overs to a person per visitor in an hour (0: none)",
        }
        help_texts = {
            "unseen_reply_email_minutes": (
                "Only when the visitor left an email address at the handover. "
                "0 sends at once; at most 1440 (a day)."
            ),
            "auto_assign": "Each person switches “Available for new chats” on the Support page.",
        }
        widgets = {
            "include_patterns": forms.Textarea(attrs={"rows": 3}),
            "exclude_patterns": forms.Textarea(attrs={"rows": 3}),
            "allowed_origins": forms.Textarea(attrs={"rows": 3}),
        }

    def clean_allowed_origins(self) -> str:
        lines = [
            line.strip().rstrip("/")
            for line in self.cleaned_data["allowed_origins"].splitlines()
            if line.strip()
        ]
        for line in lines:
            if origin_of(line) != line.lower() or "*" in line:
                raise forms.ValidationError(
                    f"“{line}” is not an origin. Write the scheme and host only, like https://www.example.com."
                )
        return "\n".join(lines)

    def clean_unseen_reply_email_minutes(self) -> int:
        value = int(self.cleaned_data["unseen_reply_email_minutes"])
        if not 0 <= value <= 24 * 60:
            raise forms.ValidationError("Give a delay between 0 minutes (at once) and 1440 minutes (a day).")
        return value

    def clean_escalations_per_visitor_hour(self) -> int:
        value = int(self.cleaned_data["escalations_per_visitor_hour"])
        if not 0 <= value <= 100:
            raise forms.ValidationError("Give a limit between 0 (no limit) and 100 hand-overs an hour.")
        return value

    def clean_auto_assign_cap(self) -> int:
        value = int(self.cleaned_data["auto_assign_cap"])
        if not 1 <= value <= 100:
            raise forms.ValidationError("Give a cap between 1 and 100 open conversations per person.")
        return value

    def clean_expected_reply_minutes(self) -> int:
        value = int(self.cleaned_data["expected_reply_minutes"])
        if not 1 <= value <= 7 * 24 * 60:
            raise forms.ValidationError("Give a reply time between 1 minute and 7 days (10080 minutes).")
        return value


@team_required
def widget_settings(request: HttpRequest) -> HttpResponse:
    viewer = viewer_from_request(request)
    agency = access_current_agency(request, viewer, manager=True)
    row = identity.widget_settings_for(agency)
    form = WidgetSettingsForm(request.POST or None, instance=row)
    if request.method == "POST" and form.is_valid():
        form.save()
        messages.success(request, "Saved the widget's visibility settings.")
        return redirect("support:widget_settings")
    return render(
        request,
        "support/widget_settings.html",
        {
            "agency": agency,
            "form": form,
            "settings_row": row,
            "nav": "settings",
            "script_url": request.build_absolute_uri("/static/support/widget.js"),
        },
    )
