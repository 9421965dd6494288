"""The error a study declaration raises: one line, ``FILE: problem`` (or what is wrong with a name)."""


class StudyError(ValueError):
    """A study declaration, sampler or pruner that cannot be used."""
