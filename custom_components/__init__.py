"""Custom integrations shipped by this repository (HACS installs custom_components/micboard)."""
