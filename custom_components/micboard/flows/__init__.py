"""Config-flow steps, one module per protocol, combined in ``config_flow.py``.

Each module defines a ``ConfigFlow`` subclass (without a domain) holding that protocol's
steps; its ``MENU_OPTION`` names the step offered in the user menu, and
``async_step_reconfigure_<manufacturer code>`` handles reconfiguration of its entries.
"""
