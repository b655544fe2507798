"""The one error a configuration raises."""


class ConfigError(ValueError):
    """The configuration cannot be used; the message names the key and the problem."""
