"""Who a GitHub login is, for direct messages: the user map, and the choice among sources."""
