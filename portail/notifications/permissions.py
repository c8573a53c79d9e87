"""The outbox's portal action, declared into the permission registry (portail/registry.py)."""

from portail.portals.models import StaffRole
from portail.registry import registry

VIEW_OUTBOX = registry.portal_action("portal.view_outbox", roles=(StaffRole.ADMIN,))
