"""The broken shop's workflows."""
