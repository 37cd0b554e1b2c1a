"""Loading and checking the data: questions, conditions, rules, kb, the rule base and its cache."""
