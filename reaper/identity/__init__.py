"""Who a GitHub login is, for direct messages: the user map file."""
