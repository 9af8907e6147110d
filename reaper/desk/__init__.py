"""What people say back in Slack: the Socket Mode link, button clicks, who may click."""
