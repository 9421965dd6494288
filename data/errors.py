"""The one error type the data layer raises: a message a person can act on."""


class DataError(ValueError):
    """Bad input data. ``str(err)`` is one line naming the file and the problem.

    CLIs turn it into ``error: <message>`` on stderr and exit status 2.
    """

    def __init__(self, path, problem: str):
        self.path = str(path)
        self.problem = problem
        super().__init__(f"{self.path}: {problem}")
