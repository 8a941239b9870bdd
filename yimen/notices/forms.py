"""Forms of the notification pages: a user's e-mail choices and a unit's webhook."""

from typing import Any

from django import forms
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _

from yimen.org.models import Unit

from .models import EVERY_CHANNEL_KINDS, NoticeKind, UnitWebhook

CHOOSABLE_KINDS = [(k, label) for k, label in NoticeKind.choices if k not in EVERY_CHANNEL_KINDS]


class PreferencesForm(forms.Form):
    email = forms.EmailField(
        label=_("E-mail address"),
        required=False,
        help_text=_("Where your e-mail notifications go. Leave empty for none."),
    )
    email_kinds = forms.MultipleChoiceField(
        label=_("Also send by e-mail"),
        choices=CHOOSABLE_KINDS,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_(
            "Every notification is shown here in Yimen; urgent matters always come by "
            "e-mail as well."
        ),  # fmt: skip
    )


class WebhookForm(forms.ModelForm):
    events = forms.MultipleChoiceField(
        label=capfirst(_("events")),
        choices=NoticeKind.choices,
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": _("Choose at least one event to send.")},
    )

    class Meta:
        model = UnitWebhook
        fields = ["unit", "url", "events", "is_active"]
        help_texts = {
            "url": _("An http:// or https:// address that accepts a POST of JSON."),
        }

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        units = Unit.objects.for_user(user).filter(is_active=True).select_related("jurisdiction")
        self.fields["unit"].queryset = units
        self.fields["url"].widget = forms.URLInput(attrs={"placeholder": "https://"})
        if self.instance.pk:
            # A webhook belongs to its unit for good; to move it, make a new one.
            del self.fields["unit"]
        else:
            self.fields["events"].initial = list(NoticeKind.values)
