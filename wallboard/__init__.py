"""wallboard: a terminal supervisor dashboard for predictive outbound call floors."""

__version__ = "0.1.0"
