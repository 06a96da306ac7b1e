"""Forms for the thread and documents pages (team and portal).

Files are taken from ``request.FILES`` directly and checked by the actions (size, emptiness,
type), so the person gets the same sentence from the page and from the API.
"""

from __future__ import annotations

from django import forms


class MessageForm(forms.Form):
    body = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 4}), strip=True)
    internal_only = forms.BooleanField(required=False)


class EditMessageForm(forms.Form):
    body = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 4}), strip=True)


class DocumentUploadForm(forms.Form):
    internal_only = forms.BooleanField(required=False)
