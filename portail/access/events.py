"""The audit log's keys for changes to client profiles, customisations and sign-in
security: one key per action, declared here beside the services that record them."""

CLIENT_PROFILE_CREATED = "client_profile.created"
CLIENT_PROFILE_RENAMED = "client_profile.renamed"
CLIENT_PROFILE_PERMISSIONS_CHANGED = "client_profile.permissions_changed"
CLIENT_PROFILE_DEFAULT_SET = "client_profile.default_set"
CLIENT_PROFILE_DELETED = "client_profile.deleted"
PERMISSION_OVERRIDE_SET = "permission_override.set"
PERMISSION_OVERRIDE_CLONED = "permission_override.cloned"
PERMISSION_OVERRIDE_REMOVED = "permission_override.removed"
PORTAL_SECURITY_UPDATED = "portal.security_updated"
MEMBER_SIGNIN_UNLOCKED = "member.signin_unlocked"
