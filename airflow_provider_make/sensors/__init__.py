"""See the ``make`` module of this package."""
