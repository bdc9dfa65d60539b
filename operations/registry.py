"""What operations tells the rest of the project about itself at start-up (OperationsConfig.ready)."""


def register():
    from accounts import audit
    from operations import services  # noqa: F401  (declares the transitions)
    from operations.models import AuditAction

    # Spanish labels for the audit trail's list and its action filter.
    audit.register_actions(dict(AuditAction.choices))
