"""Portal actions of access and sign-in security, declared into the permission registry
(portail/registry.py)."""

from portail.portals.models import StaffRole
from portail.registry import registry

MANAGE_PROFILES = registry.portal_action("portal.manage_profiles", roles=(StaffRole.ADMIN,))
UNLOCK_SIGNIN = registry.portal_action("portal.unlock_signin", roles=(StaffRole.ADMIN,))
MANAGE_SECURITY = registry.portal_action("portal.manage_security", roles=(StaffRole.ADMIN,))
