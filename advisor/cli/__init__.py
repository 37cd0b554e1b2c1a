"""The command line: one module per subcommand, thin adapters over the services."""
