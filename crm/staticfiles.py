"""Static file finders of the CRM."""

from pathlib import Path

from django.contrib.staticfiles.finders import AppDirectoriesFinder, BaseFinder
from django.core.files.storage import FileSystemStorage


class AppDirectoriesWithoutNodeModulesFinder(AppDirectoriesFinder):
    """viewflow ships copies of its font and script packages under
    ``node_modules/`` whose CSS points at files it does not ship. Its pages use
    the copies outside, and the manifest storage refuses CSS with missing
    references, so those folders are never collected or served."""

    def list(self, ignore_patterns):
        return super().list([*(ignore_patterns or []), "node_modules"])


class PlotlyFinder(BaseFinder):
    """Serves the installed plotly package's ``plotly.min.js`` as
    ``plotly/plotly.min.js`` -- that one file, not the package's data sets."""

    name = "plotly/plotly.min.js"

    def _source(self) -> Path:
        import plotly

        return Path(plotly.__file__).parent / "package_data" / "plotly.min.js"

    def find(self, path, find_all=False, **kwargs):
        if path != self.name:
            return [] if find_all else None
        source = str(self._source())
        return [source] if find_all else source

    def list(self, ignore_patterns):
        source = self._source()
        storage = FileSystemStorage(location=str(source.parent))
        storage.prefix = "plotly"  # collected as plotly/plotly.min.js
        yield source.name, storage
