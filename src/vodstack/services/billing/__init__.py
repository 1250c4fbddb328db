"""The billing service: subscriptions, invoices, payments and dunning (docs/billing.md)."""
