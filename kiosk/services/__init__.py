"""Services: the plugin contract, the registry, the shared steps and the built-ins."""
