"""The audit log's keys for changes to client companies, client users, invitations and a
project's clients: one key per action, declared here beside the services that record them."""

CLIENT_COMPANY_CREATED = "client_company.created"
CLIENT_COMPANY_UPDATED = "client_company.updated"
CLIENT_COMPANY_DELETED = "client_company.deleted"
CLIENT_USER_ADDED = "client_user.added"
CLIENT_USER_READDED = "client_user.readded"
CLIENT_USER_UPDATED = "client_user.updated"
CLIENT_USER_REMOVED = "client_user.removed"
INVITATION_SENT = "invitation.sent"
INVITATION_REVOKED = "invitation.revoked"
INVITATION_ACCEPTED = "invitation.accepted"
PROJECT_CLIENT_ADDED = "project_client.added"
PROJECT_CLIENT_REMOVED = "project_client.removed"
PROJECT_CLIENT_PRIMARY_SET = "project_client.primary_set"
PROJECT_CLIENT_PRIMARY_UNSET = "project_client.primary_unset"
# A client user's rate on one project (CU9); putting someone on a project or taking them off
# is projects' action (portail.projects.events.PROJECT_MEMBER_ADDED / _REMOVED).
PROJECT_MEMBER_RATE_CHANGED = "project_member.rate_changed"
