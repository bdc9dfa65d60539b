"""A unique constraint whose refusal reads like a field error: on one field, naming the values."""

from django.core.exceptions import ValidationError
from django.db import DEFAULT_DB_ALIAS, models


class FieldUniqueConstraint(models.UniqueConstraint):
    """`UniqueConstraint` that files its refusal under `field`, its message filled with the values.

    Django files the refusal of a constraint over several fields on top of the form with a fixed
    text; staff need it next to the field they typed, saying which value is taken. The message may
    use the instance's values of the constraint's fields by name (`%(document_number)s`).
    """

    def __init__(self, *args, field, **kwargs):
        self.field = field
        super().__init__(*args, **kwargs)

    def deconstruct(self):
        path, args, kwargs = super().deconstruct()
        kwargs["field"] = self.field
        return path, args, kwargs

    def __eq__(self, other):
        if isinstance(other, FieldUniqueConstraint):
            return super().__eq__(other) and self.field == other.field
        return super().__eq__(other)

    def get_violation_error_message(self):
        # Filled in validate(), where the instance is known.
        return self.violation_error_message

    def refusal(self, instance):
        """The ValidationError this constraint raises for `instance`."""
        opts = instance._meta
        values = {name: getattr(instance, opts.get_field(name).attname) for name in self.fields}
        message = str(self.violation_error_message) % values
        return ValidationError({self.field: ValidationError(message, code=self.violation_error_code or "unique")})

    def validate(self, model, instance, exclude=None, using=DEFAULT_DB_ALIAS):
        try:
            super().validate(model, instance, exclude=exclude, using=using)
        except ValidationError:
            raise self.refusal(instance) from None
