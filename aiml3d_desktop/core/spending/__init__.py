"""What calls cost: the usage ledger and the spending limits."""
