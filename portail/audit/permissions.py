"""The audit log's portal action, declared into the permission registry (portail/registry.py)."""

from portail.portals.models import StaffRole
from portail.registry import registry

VIEW_AUDIT = registry.portal_action("portal.view_audit", roles=(StaffRole.ADMIN,))
