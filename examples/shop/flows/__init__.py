"""The shop's workflows."""
