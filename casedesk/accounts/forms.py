from __future__ import annotations

import re
from typing import Any

from django import forms
from django.contrib.auth.forms import AuthenticationForm
from django.contrib.auth.forms import PasswordResetForm as DjangoPasswordResetForm

from casedesk.accounts.actions import do_email_password_reset
from casedesk.accounts.models import Role

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

    def clean_brand_color(self) -> str:
        value = str(self.cleaned_data["brand_color"]).strip()
        if not HEX_COLOR.match(value):
            raise forms.ValidationError("Give the colour as # and six hex digits, for example #4f46e5.")
        return value


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
