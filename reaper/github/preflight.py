"""Before acting on an org or an enterprise: can the token see it, can seats be cancelled."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from reaper.core.domain import enterprise_scope
from reaper.errors import GitHubAuthError, GitHubError, GitHubNotFoundError
from reaper.github.app_permissions import permission_problem

if TYPE_CHECKING:
    from reaper.github.client import GitHubClient

PERMISSION = (
    "a classic token needs the manage_billing:copilot scope (or read:org to read and "
    "admin:org to cancel); a fine-grained token or GitHub App needs the organisation "
    'permission "GitHub Copilot Business" (read to list, write to cancel)'
)
CANCELLABLE = "assign_selected"
ENTERPRISE_PERMISSION = (
    "the enterprise endpoints accept only a classic personal access token with the "
    "manage_billing:copilot scope, of an enterprise owner or billing manager"
)
# Token prefixes GitHub refuses on the enterprise endpoints, and what they are.
REFUSED_ON_ENTERPRISE = {
    "github_pat_": "a fine-grained personal access token",
    "ghs_": "a GitHub App installation token",
    "ghu_": "a GitHub App user token",
}


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
    lacking = permission_problem(client.auth, org)  # a GitHub App granted too little
    if lacking is not None:
        return OrgStatus(org, status.seat_management, status.plan_type, no_cancel=lacking)
    return status


def preflight_enterprise(client: GitHubClient, slug: str, token: str) -> str | None:
    """Say what stands in the way of reading and cancelling the enterprise's seats, or None.

    A token of a kind the enterprise endpoints refuse is named without asking GitHub;
    otherwise one page of one record is read and a refusal translated. The token itself is
    only looked at for its prefix, never quoted.
    """
    label = f"enterprise {slug}"
    for prefix, kind in REFUSED_ON_ENTERPRISE.items():
        if token.startswith(prefix):
            return (
                f"REAPER_GITHUB_TOKEN is {kind}, which GitHub refuses on the endpoints of "
                f"{label}: {ENTERPRISE_PERMISSION}"
            )
    try:
        next(client.iter_seat_pages(enterprise_scope(slug), per_page=1), None)
    except GitHubAuthError as exc:
        if exc.status == 401:
            return f"GitHub refused the token for {label} (401): check REAPER_GITHUB_TOKEN"
        return (
            f"the token may not manage Copilot seats of {label} (403): check "
            f"REAPER_GITHUB_TOKEN; {ENTERPRISE_PERMISSION}"
        )
    except GitHubNotFoundError:
        return (
            f"{label} was not found (404): check REAPER_GITHUB_ENTERPRISE (the slug in "
            f"github.com/enterprises/<slug>) and that the token can see it; "
            f"{ENTERPRISE_PERMISSION}"
        )
    except GitHubError as exc:
        return f"could not read the Copilot seats of {label}: {exc}"
    return None
