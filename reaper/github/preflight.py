"""Before acting on an org: can the token see it, and can its seats be cancelled per user."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from reaper.errors import GitHubAuthError, GitHubError, GitHubNotFoundError

if TYPE_CHECKING:
    from reaper.github.client import GitHubClient

PERMISSION = (
    "a classic token needs the manage_billing:copilot scope (or read:org to read and "
    "admin:org to cancel); a fine-grained token or GitHub App needs the organisation "
    'permission "GitHub Copilot Business" (read to list, write to cancel)'
)
CANCELLABLE = "assign_selected"


@dataclass(frozen=True, slots=True)
class OrgStatus:
    """What the preflight found: ``problem`` blocks the org; ``no_cancel`` only its cancels."""

    org: str
    seat_management: str | None = None
    plan_type: str | None = None
    problem: str | None = None
    no_cancel: str | None = None

    @property
    def ready(self) -> bool:
        """Tell whether the org can be read and its seats cancelled."""
        return self.problem is None and self.no_cancel is None


def preflight(client: GitHubClient, org: str) -> OrgStatus:
    """Read the org's Copilot settings and say plainly what stands in the way."""
    try:
        billing = client.org_billing(org)
    except GitHubAuthError as exc:
        if exc.status == 401:
            problem = f"GitHub refused the token for {org} (401): check REAPER_GITHUB_TOKEN"
        else:
            problem = f"the token may not manage Copilot seats of {org} (403): {PERMISSION}"
        return OrgStatus(org, problem=problem)
    except GitHubNotFoundError:
        problem = (
            f"{org} was not found (404): check the name in REAPER_GITHUB_ORGS, that the org "
            f"has Copilot Business or Enterprise, and that the token can see it; {PERMISSION}"
        )
        return OrgStatus(org, problem=problem)
    except GitHubError as exc:
        return OrgStatus(org, problem=f"could not read the Copilot settings of {org}: {exc}")
    setting = billing.get("seat_management_setting")
    plan = billing.get("plan_type")
    status = OrgStatus(
        org,
        seat_management=setting if isinstance(setting, str) else None,
        plan_type=plan if isinstance(plan, str) else None,
    )
    if setting != CANCELLABLE:
        reason = {
            "assign_all": "every member gets a seat (assign_all)",
            "disabled": "Copilot is disabled (disabled)",
            "unconfigured": "seat management is not configured (unconfigured)",
        }.get(str(setting), f"seat management is {setting!r}")
        no_cancel = (
            f"{org}: {reason}, so seats cannot be cancelled per user; "
            "its cancellations are skipped until seat management is 'selected members'"
        )
        return OrgStatus(org, status.seat_management, status.plan_type, no_cancel=no_cancel)
    return status
