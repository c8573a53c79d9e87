"""The audit log's keys for changes to projects, their members and their plans: one key
per action, declared here beside the services that record them (services.py, plans.py)."""

PROJECT_CREATED = "project.created"
PROJECT_UPDATED = "project.updated"
PROJECT_ARCHIVED = "project.archived"
PROJECT_RESTORED = "project.restored"
# Someone put on a project or taken off it, staff (the project's staff page) or client
# user (their company's projects): one action, one key.
PROJECT_MEMBER_ADDED = "project_member.added"
PROJECT_MEMBER_REMOVED = "project_member.removed"
MILESTONE_CREATED = "milestone.created"
MILESTONE_UPDATED = "milestone.updated"
MILESTONE_VISIBILITY_CHANGED = "milestone.visibility_changed"
MILESTONE_CLOSED = "milestone.closed"
MILESTONE_REOPENED = "milestone.reopened"
MILESTONE_DELETED = "milestone.deleted"
TASK_CREATED = "task.created"
TASK_UPDATED = "task.updated"
TASK_VISIBILITY_CHANGED = "task.visibility_changed"
TASK_DONE = "task.done"
TASK_REOPENED = "task.reopened"
TASK_DELETED = "task.deleted"
