"""Static file finders of the CRM."""

from django.contrib.staticfiles.finders import AppDirectoriesFinder


class AppDirectoriesWithoutNodeModulesFinder(AppDirectoriesFinder):
    """viewflow ships copies of its font and script packages under
    ``node_modules/`` whose CSS points at files it does not ship. Its pages use
    the copies outside, and the manifest storage refuses CSS with missing
    references, so those folders are never collected or served."""

    def list(self, ignore_patterns):
        return super().list([*(ignore_patterns or []), "node_modules"])
