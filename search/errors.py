"""The errors library code raises for problems a user can fix.

Each message is one line that names the file, study or storage and the problem; the command-line
entry points print it as ``error: <message>`` and exit with status 2 (``search.cli``). Anything
else that escapes is a bug and keeps its traceback.
"""


class SearchError(Exception):
    """A problem the user can fix, described in one line."""


class StorageError(SearchError):
    """A storage that cannot be opened, created or written (its password masked)."""


class StudyStateError(SearchError):
    """A study that is missing, has no completed trial, or does not match what was asked."""


class ResultsError(SearchError):
    """Result files (retrain.json, models, predictions) that are missing or cannot be read."""
