from __future__ import annotations

import re
from datetime import time
from typing import Any

from django import forms
from django.contrib.auth.forms import AuthenticationForm
from django.contrib.auth.forms import PasswordResetForm as DjangoPasswordResetForm

from casedesk.accounts.actions import do_email_password_reset
from casedesk.accounts.models import Agency, Role
from casedesk.lib.business_hours import WEEKDAYS, Schedule, ScheduleError, time_zone_choices

HEX_COLOR = re.compile(r"^#[0-9a-fA-F]{6}$")


class SignInForm(AuthenticationForm):
    """Email + password. The field keeps Django's name ``username``; people see "Email"."""

    error_messages = {
        "invalid_login": (
            "That email and password don't match an active account. Check both, or reset your password."
        ),
        "inactive": "This account is deactivated. Ask your agency's owner if you need access again.",
    }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["username"] = forms.EmailField(
            label="Email",
            widget=forms.EmailInput(attrs={"autofocus": True, "autocomplete": "email"}),
        )
        self.fields["password"].widget.attrs["autocomplete"] = "current-password"


class FreshMagicLinkForm(forms.Form):
    email = forms.EmailField(
        label="Your email address",
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
        help_text="We send the new link to the address the agency has for you.",
    )


class AgencySettingsForm(forms.Form):
    name = forms.CharField(label="Agency name", max_length=120)
    brand_color = forms.CharField(
        label="Brand colour",
        max_length=7,
        widget=forms.TextInput(attrs={"type": "color"}),
        help_text="Used on the client portal and in emails.",
    )
    support_widget_for_customers = forms.BooleanField(
        label="Show support widget to customers",
        required=False,
        help_text="Off by default. When on, your clients can ask questions from the portal and your site.",
    )
    email_digest_minutes = forms.IntegerField(
        label="Batch client emails (minutes)",
        min_value=0,
        max_value=60,
        required=False,
        help_text="Messages posted within this many minutes go to each contact in one email. "
        "0 sends every message at once. Contacts can choose for themselves from any email.",
    )

    business_hours_on = forms.BooleanField(
        label="Keep business hours",
        required=False,
        help_text="Outside them the support widget says when your team is back and that the answer "
        "will come by email, and waiting time only counts while you are open. Off: always open.",
    )
    # Not required: a form posted without it keeps the stored zone.
    time_zone = forms.ChoiceField(label="Time zone of these hours", choices=(), required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        zone_field = self.fields["time_zone"]
        assert isinstance(zone_field, forms.ChoiceField)
        zone_field.choices = [(zone, zone) for zone in time_zone_choices()]
        for day, name in enumerate(WEEKDAYS):
            self.fields[f"open_{day}"] = forms.BooleanField(label=name, required=False)
            for edge, words in (("opens", "opens"), ("closes", "closes")):
                self.fields[f"{edge}_{day}"] = forms.TimeField(
                    label=f"{name} {words}",
                    required=False,
                    input_formats=["%H:%M", "%H:%M:%S"],
                    widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
                    error_messages={"invalid": "Write the time as HH:MM, for example 09:00."},
                )

    @staticmethod
    def initial_for(agency: Agency) -> dict[str, Any]:
        try:  # the stored week, on or off, so switching on again shows it
            schedule: Schedule | None = Schedule.from_stored(agency.time_zone, agency.business_hours)
        except ScheduleError:
            schedule = None
        initial: dict[str, Any] = {
            "name": agency.name,
            "brand_color": agency.brand_color,
            "support_widget_for_customers": agency.support_widget_for_customers,
            "email_digest_minutes": agency.email_digest_minutes,
            "business_hours_on": agency.business_hours_enabled,
            "time_zone": agency.time_zone,
        }
        for day in range(7):
            if schedule is not None:
                hours = schedule.hours.get(day)
                initial[f"open_{day}"] = hours is not None
                initial[f"opens_{day}"], initial[f"closes_{day}"] = hours or (time(9), time(17))
            else:  # a sensible week to start from: Monday to Friday, nine to five
                initial[f"open_{day}"] = day < 5
                initial[f"opens_{day}"], initial[f"closes_{day}"] = time(9), time(17)
        return initial

    def day_rows(self) -> list[tuple[str, Any, Any, Any]]:
        return [
            (name, self[f"open_{day}"], self[f"opens_{day}"], self[f"closes_{day}"])
            for day, name in enumerate(WEEKDAYS)
        ]

    def clean_brand_color(self) -> str:
        value = str(self.cleaned_data["brand_color"]).strip()
        if not HEX_COLOR.match(value):
            raise forms.ValidationError("Give the colour as # and six hex digits, for example #4f46e5.")
        return value

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        stored: dict[str, list[str]] | None = None  # None: keep the stored week as it is
        if data.get("business_hours_on"):
            stored = {}
            for day, name in enumerate(WEEKDAYS):
                if not data.get(f"open_{day}"):
                    continue
                opens, closes = data.get(f"opens_{day}"), data.get(f"closes_{day}")
                if opens is None or closes is None:
                    if not self.has_error(f"opens_{day}") and not self.has_error(f"closes_{day}"):
                        self.add_error(
                            f"opens_{day}", f"Give {name}'s opening and closing time, or untick {name}."
                        )
                    continue
                stored[str(day)] = [opens.strftime("%H:%M"), closes.strftime("%H:%M")]
        # The week as a whole (closing after opening, at least one day) is checked by
        # do_update_agency_settings; its sentence shows above the form.
        data["business_hours"] = stored
        return data

    def action_values(self) -> dict[str, Any]:
        """What ``do_update_agency_settings`` takes, from the cleaned form."""
        data = dict(self.cleaned_data)
        data["time_zone"] = data.get("time_zone") or None
        return {
            name: data[name]
            for name in (
                "name",
                "brand_color",
                "support_widget_for_customers",
                "email_digest_minutes",
                "business_hours_on",
                "time_zone",
                "business_hours",
            )
        }


class InviteForm(forms.Form):
    email = forms.EmailField(label="Email address")
    role = forms.ChoiceField(label="Role", choices=Role.choices, initial=Role.MEMBER)


class RoleForm(forms.Form):
    role = forms.ChoiceField(choices=Role.choices)


class AcceptInvitationForm(forms.Form):
    name = forms.CharField(
        label="Your name", max_length=150, widget=forms.TextInput(attrs={"autocomplete": "name"})
    )
    password = forms.CharField(
        label="Choose a password",
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        help_text="At least 10 characters, not only digits, and not a common password.",
    )


class ProfileForm(forms.Form):
    name = forms.CharField(label="Your name", max_length=150)
    email_on_mention = forms.BooleanField(label="When someone @mentions me", required=False)
    email_on_client_reply = forms.BooleanField(label="When a client replies on a case I'm on", required=False)


class PasswordResetForm(DjangoPasswordResetForm):
    """Django's reset form (it picks the active users with that address and a usable password).

    Its ``send_mail`` is Django's documented hook: instead of sending in the request, it records
    the email and enqueues its durable task (``do_email_password_reset``); the task builds the
    link with Django's token generator and the one email builder.
    """

    def send_mail(
        self,
        subject_template_name: str,
        email_template_name: str,
        context: dict[str, Any],
        from_email: str | None,
        to_email: str,
        html_email_template_name: str | None = None,
    ) -> None:
        do_email_password_reset(user=context["user"], to=to_email)
