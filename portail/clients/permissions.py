"""Client companies' and client users' portal action, declared into the permission registry
(portail/registry.py)."""

from portail.portals.models import StaffRole
from portail.registry import registry

MANAGE_CLIENTS = registry.portal_action("portal.manage_clients", roles=(StaffRole.ADMIN,))
