"""A small shop: orders with payment, fraud review and shipping, plus customer onboarding."""
