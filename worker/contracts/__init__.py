"""The stable JSON contracts: account, event and outcome, their vocabularies and validation."""
