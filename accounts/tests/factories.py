import factory
from django.contrib.auth.models import Group

from accounts.models import User


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        django_get_or_create = ("username",)
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda u: f"{u.username}@example.pe")
    first_name = "Ana"
    last_name = "Pérez"
    is_staff = True
    password = factory.django.Password("a-strong-test-password")

    @factory.post_generation
    def role(self, create, extracted, **kwargs):
        """UserFactory(role="Trader") puts the user in that role's group (created by migration)."""
        if create and extracted:
            self.groups.add(Group.objects.get(name=extracted))
