from __future__ import annotations

from typing import Any

from django import forms
from django.conf import settings
from django.db.models import QuerySet

from casedesk.accounts.models import Contact
from casedesk.cases.models import Case


class QuarantineAcceptForm(forms.Form):
    case = forms.ModelChoiceField(queryset=Case.objects.none(), label="Post to case")
    contact = forms.ModelChoiceField(queryset=Contact.objects.none(), label="As contact")

    def __init__(self, *args: Any, cases: QuerySet[Case], contacts: QuerySet[Contact], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["case"].queryset = Case.objects.filter(pk__in=[c.pk for c in cases])  # type: ignore[attr-defined]
        self.fields["contact"].queryset = contacts  # type: ignore[attr-defined]


class DevReplyForm(forms.Form):
    body = forms.CharField(widget=forms.Textarea(attrs={"rows": 4}), label="Reply text")
    attachment = forms.FileField(required=False, label="Attach a file (optional)")

    def clean_attachment(self) -> Any:
        upload = self.cleaned_data.get("attachment")
        if upload is not None and upload.size > settings.MAX_ATTACHMENT_BYTES * 2:
            raise forms.ValidationError("That file is too large even for a test of the size limit.")
        return upload
