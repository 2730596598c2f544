"""The one exception a user's configuration mistake raises."""


class ConfigError(ValueError):
    """A user's configuration mistake: one line, no traceback."""
