"""The GitHub adapter: the Copilot seat endpoints, with retries, paging and parsing."""

from reaper.github.client import GitHubClient
from reaper.github.seats import OrgScan, parse_seat, scan_org

__all__ = ["GitHubClient", "OrgScan", "parse_seat", "scan_org"]
