from decimal import Decimal

import factory
from django.utils import timezone

from accounts.tests.factories import UserFactory
from clients.models import Bank, Currency
from clients.tests.factories import active_client
from operations.models import ExchangeRate, HouseBankAccount, Operation, OperationStatus, OperationType


class ExchangeRateFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ExchangeRate

    base = Decimal("3.7200")
    buy = Decimal("3.7000")
    sell = Decimal("3.7500")
    set_by = factory.SubFactory(UserFactory, role="Master")
    effective_at = factory.LazyFunction(timezone.now)


class HouseBankAccountFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = HouseBankAccount

    bank = Bank.BCP
    currency = Currency.USD
    number = factory.Sequence(lambda n: f"193{n:010d}")


class OperationFactory(factory.django.DjangoModelFactory):
    """An operation written straight to the table (tests of reports, lists, scoping).

    Business paths must use operations.services; this factory only fills consistent data.
    """

    class Meta:
        model = Operation

    code = factory.Sequence(lambda n: f"EXP-{5001 + n}")
    client = factory.LazyFunction(active_client)
    type = OperationType.BUY
    amount_usd = Decimal("1000.00")
    rate = Decimal("3.7000")
    base_rate = Decimal("3.7200")
    status = OperationStatus.PENDING
    created_by = factory.SelfAttribute("client.owner")
    trader = factory.SelfAttribute("client.owner")

    @factory.lazy_attribute
    def source_account(self):
        currency = Currency.USD if self.type == OperationType.BUY else Currency.PEN
        return self.client.accounts.filter(currency=currency).first()

    @factory.lazy_attribute
    def destination_account(self):
        currency = Currency.PEN if self.type == OperationType.BUY else Currency.USD
        return self.client.accounts.filter(currency=currency).first()

    source_snapshot = factory.LazyAttribute(lambda o: str(o.source_account))
    destination_snapshot = factory.LazyAttribute(lambda o: str(o.destination_account))

    @factory.lazy_attribute
    def amount_pen(self):
        return Operation.compute_amounts(self.type, self.amount_usd, self.rate, self.base_rate)[0]

    @factory.lazy_attribute
    def profit_pen(self):
        return Operation.compute_amounts(self.type, self.amount_usd, self.rate, self.base_rate)[1]
