"""Reporting: the result files' one loader, Markdown and self-contained HTML reports, figures, and
forecasts past the end of the data."""
