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
