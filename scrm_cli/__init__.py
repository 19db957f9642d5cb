"""`scrm`: a small command-line client for the admin API (python -m scrm_cli ...)."""
