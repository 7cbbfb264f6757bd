"""The Bot API as the sandbox answers it: methods, parameters, flood limits, faults, the ledger."""
