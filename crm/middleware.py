"""Request middleware of the CRM."""

from django.conf import settings
from django.core.exceptions import ObjectDoesNotExist
from django.http import HttpResponse
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

UPLOAD_TOO_LARGE = gettext_noop("The upload is larger than the allowed %(limit)s MB.")
SESSION_LANGUAGE_KEY = "crm_language"


class UploadSizeLimitMiddleware:
    """Refuse request bodies over ``MAX_UPLOAD_SIZE`` before anything reads them."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0
        if length > settings.MAX_UPLOAD_SIZE:
            limit = settings.MAX_UPLOAD_SIZE // (1024 * 1024)
            return HttpResponse(_(UPLOAD_TOO_LARGE) % {"limit": limit}, status=413)
        return self.get_response(request)


class UserLanguageMiddleware:
    """Use the language the signed-in user chose (``Employee.language``).

    Runs after LocaleMiddleware and AuthenticationMiddleware. The choice is
    read from the database once per session; users without a preference keep
    what LocaleMiddleware negotiated from the browser.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            language = request.session.get(SESSION_LANGUAGE_KEY)
            if language is None:
                try:
                    language = user.employee.language
                except ObjectDoesNotExist:
                    language = ""
                request.session[SESSION_LANGUAGE_KEY] = language
            if language:
                translation.activate(language)
                request.LANGUAGE_CODE = language
        return self.get_response(request)


class ControlCharacterMiddleware:
    """Drop NUL and the other control characters from every query parameter
    and form field before a view sees them (``crm.inputs``): PostgreSQL text
    cannot hold NUL, and no one types the others. Tab and line breaks stay.

    Runs after ``UploadSizeLimitMiddleware``, so an oversized body is refused
    before it is parsed here.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        request.GET = _cleaned(request.GET)
        if request.method == "POST" and request.content_type in (
            "application/x-www-form-urlencoded",
            "multipart/form-data",
        ):
            request.POST = _cleaned(request.POST)
        return self.get_response(request)


def _cleaned(params):
    """A copy of a QueryDict without control characters in keys and values
    (the same object when there were none)."""
    from crm.inputs import has_controls, strip_controls

    if not any(
        has_controls(key) or any(has_controls(value) for value in values)
        for key, values in params.lists()
    ):
        return params
    from django.http import QueryDict

    cleaned = QueryDict(mutable=True, encoding=params.encoding)
    for key, values in params.lists():
        cleaned.setlist(strip_controls(key), [strip_controls(value) for value in values])
    cleaned._mutable = False
    return cleaned
